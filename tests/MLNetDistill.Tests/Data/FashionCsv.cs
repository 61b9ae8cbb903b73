using System.Globalization;
using System.Text;
using MLNetDistill.Data;

namespace MLNetDistill.Tests.Data;

/// <summary>Writes the first rows of the embedded Fashion-MNIST test set as a CSV: a label column, then 784 pixel columns scaled to [0, 1].</summary>
public static class FashionCsv
{
    /// <summary>Writes <paramref name="rows"/> images to <paramref name="path"/>; returns their class labels.</summary>
    /// <param name="path">The CSV to write.</param>
    /// <param name="rows">How many images, from the first.</param>
    /// <param name="labelName">The first column's name, holding the class index; null for a file with only the pixel columns.</param>
    public static float[] Write(string path, int rows, string? labelName)
    {
        var (pixels, count, size, labels) = IdxReader.ReadAll(TestPaths.FashionImages);
        Assert.True(rows <= count);
        var text = new StringBuilder();
        if (labelName is not null)
        {
            text.Append(labelName).Append(',');
        }

        text.AppendJoin(',', Enumerable.Range(0, size).Select(j => $"pixel{j}")).Append('\n');
        for (int r = 0; r < rows; r++)
        {
            if (labelName is not null)
            {
                text.Append(labels![r].ToString(CultureInfo.InvariantCulture)).Append(',');
            }

            for (int j = 0; j < size; j++)
            {
                if (j > 0)
                {
                    text.Append(',');
                }

                text.Append(pixels[(r * size) + j].ToString("R", CultureInfo.InvariantCulture));
            }

            text.Append('\n');
        }

        File.WriteAllText(path, text.ToString());
        return labels![..rows];
    }
}
