using System.Buffers.Binary;
using System.IO.Compression;

namespace MLNetDistill.Tests.Data;

/// <summary>Writes small IDX files (the MNIST format) for tests.</summary>
public static class IdxFiles
{
    public static void WriteImages(string path, byte[][] images, int rows, int cols, int magic = 0x00000803, int? countOverride = null)
    {
        using Stream stream = Open(path);
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], countOverride ?? images.Length);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], rows);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], cols);
        stream.Write(header);
        foreach (byte[] image in images)
        {
            stream.Write(image);
        }
    }

    public static void WriteLabels(string path, byte[] labels, int magic = 0x00000801)
    {
        using Stream stream = Open(path);
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, magic);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], labels.Length);
        stream.Write(header);
        stream.Write(labels);
    }

    /// <summary>Images whose pixel j of image i is (i * 31 + j * 7) mod 256.</summary>
    public static byte[][] Pattern(int count, int size)
    {
        var images = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            images[i] = new byte[size];
            for (int j = 0; j < size; j++)
            {
                images[i][j] = (byte)((i * 31 + j * 7) % 256);
            }
        }

        return images;
    }

    private static Stream Open(string path)
    {
        Stream file = File.Create(path);
        return path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionLevel.Fastest) : file;
    }
}
