using System.Buffers.Binary;
using System.IO.Compression;

namespace MLNetDistill.Data;

/// <summary>The header of an IDX file of unsigned bytes (the MNIST format) and how to open its data.</summary>
/// <param name="Path">The file.</param>
/// <param name="Count">The number of items (images or labels).</param>
/// <param name="Rows">Image height; 1 for a label file.</param>
/// <param name="Cols">Image width; 1 for a label file.</param>
/// <param name="Gzip">Whether the file is gzip-compressed.</param>
/// <param name="HeaderSize">Bytes before the first item: 16 for images, 8 for labels.</param>
internal sealed record IdxFile(string Path, int Count, int Rows, int Cols, bool Gzip, int HeaderSize)
{
    /// <summary>Magic number of an IDX file of unsigned bytes with three dimensions (images).</summary>
    public const int ImageMagic = 0x00000803;

    /// <summary>Magic number of an IDX file of unsigned bytes with one dimension (labels).</summary>
    public const int LabelMagic = 0x00000801;

    /// <summary>Bytes per item: rows * cols.</summary>
    public int ItemSize => Rows * Cols;

    /// <summary>Reads and checks the header of an image file.</summary>
    public static IdxFile ReadImages(string path) => ReadHeader(path, ImageMagic);

    /// <summary>Reads and checks the header of a label file.</summary>
    public static IdxFile ReadLabels(string path) => ReadHeader(path, LabelMagic);

    /// <summary>Opens the file positioned on its first data byte; the caller disposes the stream.</summary>
    public Stream OpenData()
    {
        Stream stream = OpenRaw(Path, Gzip);
        try
        {
            Span<byte> header = stackalloc byte[16];
            if (ReadHeaderBytes(stream, header[..HeaderSize], Path, Gzip) < HeaderSize)
            {
                throw new InvalidDataException($"IDX file '{Path}' is truncated: it ends inside its {HeaderSize}-byte header.");
            }

            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The error for a file that ends before its header says it should.</summary>
    public InvalidDataException Truncated(long item, Exception? inner = null) =>
        new($"IDX file '{Path}' is truncated: its header promises {Count} items of {ItemSize} bytes but item {item} could not be read. " +
            "Download or decompress the file again.", inner);

    private static IdxFile ReadHeader(string path, int expectedMagic)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                expectedMagic == ImageMagic
                    ? $"IDX image file '{path}' was not found: expected a file such as 'train-images-idx3-ubyte' or 'train-images-idx3-ubyte.gz'."
                    : $"IDX label file '{path}' was not found: expected a file such as 'train-labels-idx1-ubyte' or 'train-labels-idx1-ubyte.gz'.",
                path);
        }

        bool gzip = IsGzip(path);
        Span<byte> header = stackalloc byte[16];
        int headerSize = expectedMagic == ImageMagic ? 16 : 8;
        using (Stream stream = OpenRaw(path, gzip))
        {
            int read = ReadHeaderBytes(stream, header[..headerSize], path, gzip);
            if (read < 4)
            {
                throw new InvalidDataException($"'{path}' is not an IDX {Kind(expectedMagic)} file: it is only {read} bytes long, shorter than an IDX header.");
            }

            int magic = BinaryPrimitives.ReadInt32BigEndian(header);
            if (magic != expectedMagic)
            {
                string hint = magic == LabelMagic ? " It looks like an IDX label file: pass it as the labels path."
                    : magic == ImageMagic ? " It looks like an IDX image file: pass it as the images path."
                    : string.Empty;
                throw new InvalidDataException(
                    $"'{path}' is not an IDX {Kind(expectedMagic)} file: its magic number is 0x{magic:X8} but 0x{expectedMagic:X8} was expected.{hint}");
            }

            if (read < headerSize)
            {
                throw new InvalidDataException($"IDX file '{path}' is truncated: it ends inside its {headerSize}-byte header.");
            }
        }

        int count = BinaryPrimitives.ReadInt32BigEndian(header[4..]);
        int rows = expectedMagic == ImageMagic ? BinaryPrimitives.ReadInt32BigEndian(header[8..]) : 1;
        int cols = expectedMagic == ImageMagic ? BinaryPrimitives.ReadInt32BigEndian(header[12..]) : 1;
        if (count < 0 || rows <= 0 || cols <= 0 || (long)rows * cols > 1 << 24)
        {
            throw new InvalidDataException(
                $"IDX file '{path}' has an impossible header: {count} items of {rows} x {cols}. The file is damaged or not an IDX file.");
        }

        var file = new IdxFile(path, count, rows, cols, gzip, headerSize);
        if (!gzip)
        {
            long expected = headerSize + (long)count * rows * cols;
            long actual = new FileInfo(path).Length;
            if (actual < expected)
            {
                throw new InvalidDataException(
                    $"IDX file '{path}' is truncated: its header promises {count} items of {rows * cols} bytes ({expected} bytes in all) but the file has {actual} bytes. " +
                    "Download or decompress the file again.");
            }
        }

        return file;
    }

    /// <summary>Reads up to <paramref name="header"/>'s length; a damaged gzip stream becomes an error naming the file.</summary>
    private static int ReadHeaderBytes(Stream stream, Span<byte> header, string path, bool gzip)
    {
        try
        {
            return stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e) when (gzip)
        {
            throw new InvalidDataException(
                $"IDX file '{path}' starts like gzip but its compressed data is damaged ({e.Message}): download the file again, or decompress it with gzip -d to see the fault.",
                e);
        }
    }

    private static string Kind(int magic) => magic == ImageMagic ? "image" : "label";

    private static bool IsGzip(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        Span<byte> magic = stackalloc byte[2];
        return stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    private static Stream OpenRaw(string path, bool gzip)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return gzip ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress), 1 << 16) : file;
    }
}
