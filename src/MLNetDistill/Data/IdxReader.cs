using System.Numerics.Tensors;
using Microsoft.ML;

namespace MLNetDistill.Data;

/// <summary>
/// Reads IDX files of unsigned bytes (the MNIST and Fashion-MNIST format), plain or gzip-compressed, as an
/// <see cref="IDataView"/> with a <c>Features</c> column (pixels / 255) and, when a label file is found, a <c>Label</c> column.
/// </summary>
/// <remarks>
/// The view is lazy: nothing but the headers is read by <see cref="Load"/>; each cursor opens its own streams and
/// decodes one image per row.
/// </remarks>
public static class IdxReader
{
    /// <summary>Opens an IDX image file (and its labels) as a streaming data view.</summary>
    /// <param name="imagesPath">An image file such as <c>train-images-idx3-ubyte</c> or <c>train-images-idx3-ubyte.gz</c>.</param>
    /// <param name="labelsPath">
    /// The label file; when null, the file named like the images with <c>images</c>/<c>idx3</c> replaced by
    /// <c>labels</c>/<c>idx1</c> (with or without <c>.gz</c>) is used if it exists, and otherwise the view has no label.
    /// </param>
    /// <returns>
    /// A view with <c>Label</c> (Single, the class index, only when labels exist) and <c>Features</c>
    /// (vector of Single of length rows x cols, each pixel divided by 255). <see cref="IDataView.GetRowCount"/> is the header's count.
    /// </returns>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    /// <exception cref="InvalidDataException">A file is not an IDX file of the right kind, is truncated, or the counts differ.</exception>
    public static IDataView Load(string imagesPath, string? labelsPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imagesPath);
        IdxFile images = IdxFile.ReadImages(imagesPath);
        IdxFile? labels = OpenLabels(images, labelsPath);
        return new IdxDataView(images, labels);
    }

    /// <summary>Reads a whole IDX image file (and its labels) into memory, for benchmarks and small data.</summary>
    /// <param name="imagesPath">An image file, plain or gzip-compressed.</param>
    /// <returns>
    /// <c>Pixels</c>: a row-major matrix of <c>Rows</c> images by <c>Cols</c> pixels (rows x cols of each image, e.g. 784), each pixel / 255;
    /// <c>Labels</c>: one class index per image, or null when no label file sits beside the images.
    /// </returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an IDX image file or is truncated.</exception>
    public static (float[] Pixels, int Rows, int Cols, float[]? Labels) ReadAll(string imagesPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imagesPath);
        IdxFile images = IdxFile.ReadImages(imagesPath);
        IdxFile? labelFile = OpenLabels(images, labelsPath: null);
        int size = images.ItemSize;
        long total = (long)images.Count * size;
        if (total > Array.MaxLength)
        {
            throw new InvalidDataException(
                $"IDX file '{imagesPath}' holds {images.Count} images of {size} pixels, more than one array can hold: use IdxReader.Load to stream it.");
        }

        float[] pixels = new float[total];
        byte[] buffer = new byte[Math.Max(size, 1 << 16) / size * size];
        using (Stream stream = images.OpenData())
        {
            long done = 0;
            while (done < total)
            {
                int chunk = (int)Math.Min(buffer.Length, total - done);
                ReadItems(stream, images, buffer.AsSpan(0, chunk), done / size);
                Span<float> destination = pixels.AsSpan((int)done, chunk);
                TensorPrimitives.ConvertTruncating<byte, float>(buffer.AsSpan(0, chunk), destination);
                TensorPrimitives.Divide(destination, 255f, destination);
                done += chunk;
            }
        }

        float[]? labels = null;
        if (labelFile is not null)
        {
            byte[] raw = new byte[labelFile.Count];
            using (Stream stream = labelFile.OpenData())
            {
                ReadItems(stream, labelFile, raw, 0);
            }

            labels = new float[raw.Length];
            TensorPrimitives.ConvertTruncating<byte, float>(raw, labels);
        }

        return (pixels, images.Count, size, labels);
    }

    /// <summary>The label file named like <paramref name="imagesPath"/>, if one exists; null otherwise.</summary>
    /// <param name="imagesPath">An image file such as <c>t10k-images-idx3-ubyte.gz</c>.</param>
    /// <returns>For example <c>t10k-labels-idx1-ubyte.gz</c> or <c>t10k-labels-idx1-ubyte</c>; null when neither exists.</returns>
    public static string? FindLabels(string imagesPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imagesPath);
        string? candidate = LabelsNamedLike(imagesPath);
        if (candidate is null)
        {
            return null;
        }

        if (File.Exists(candidate))
        {
            return candidate;
        }

        string other = candidate.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? candidate[..^3] : candidate + ".gz";
        return File.Exists(other) ? other : null;
    }

    /// <summary>
    /// The label file <see cref="FindLabels"/> looks for beside <paramref name="imagesPath"/> (it also tries the name with or
    /// without <c>.gz</c>), whether or not it exists; null when the name holds no <c>images</c> and <c>idx3</c> to replace.
    /// </summary>
    internal static string? LabelsNamedLike(string imagesPath)
    {
        string name = Path.GetFileName(imagesPath);
        if (!name.Contains("images", StringComparison.Ordinal) || !name.Contains("idx3", StringComparison.Ordinal))
        {
            return null;
        }

        string labelName = name.Replace("images", "labels", StringComparison.Ordinal).Replace("idx3", "idx1", StringComparison.Ordinal);
        return Path.Combine(Path.GetDirectoryName(imagesPath) ?? string.Empty, labelName);
    }

    /// <summary>Reads <paramref name="destination"/> fully, turning an early end into a clear error.</summary>
    internal static void ReadItems(Stream stream, IdxFile file, Span<byte> destination, long firstItem)
    {
        try
        {
            stream.ReadExactly(destination);
        }
        catch (EndOfStreamException ex)
        {
            throw file.Truncated(firstItem, ex);
        }
        catch (InvalidDataException ex)
        {
            // GZipStream reports a cut-off or damaged compressed stream this way.
            throw file.Truncated(firstItem, ex);
        }
    }

    private static IdxFile? OpenLabels(IdxFile images, string? labelsPath)
    {
        string? path = labelsPath ?? FindLabels(images.Path);
        if (path is null)
        {
            return null;
        }

        IdxFile labels = IdxFile.ReadLabels(path);
        if (labels.Count != images.Count)
        {
            throw new InvalidDataException(
                $"Label file '{labels.Path}' has {labels.Count:N0} labels but image file '{images.Path}' has {images.Count:N0} images: " +
                "they must come from the same set (for example both t10k or both train).");
        }

        return labels;
    }
}
