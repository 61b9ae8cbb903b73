using System.Globalization;
using System.Security.Cryptography;

namespace MLNetDistill.Data;

/// <summary>Content hashes that tie a teacher cache to the teacher model and the data it was made from.</summary>
public static class FileFingerprint
{
    /// <summary>The SHA-256 of a file's bytes, as 64 lowercase hex digits. Streams the file; any size is fine.</summary>
    /// <param name="path">The file, such as a teacher <c>.onnx</c> or a data file.</param>
    /// <returns>For example <c>e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855</c> for an empty file.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static string Sha256(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Cannot fingerprint '{path}': the file was not found.", path);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The fingerprint of a data set as stored in <see cref="CacheMetadata.DataFingerprint"/>: the SHA-256 of the data file and
    /// its row count, as <c>sha256:&lt;hex&gt;;rows=&lt;n&gt;</c>.
    /// </summary>
    /// <param name="path">The data file the cache was scored from (for IDX, the image file).</param>
    /// <param name="rows">The number of rows of the whole data set (not of one shard).</param>
    /// <returns>A string that changes when the data's bytes or row count change.</returns>
    public static string Data(string path, long rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        return string.Create(CultureInfo.InvariantCulture, $"sha256:{Sha256(path)};rows={rows}");
    }
}
