using System.Globalization;
using System.Security.Cryptography;

namespace MLNetDistill.Data;

/// <summary>Content hashes that tie a teacher cache to the teacher model and the data it was made from.</summary>
public static class FileFingerprint
{
    /// <summary>The SHA-256 of a file's bytes, as 64 lowercase hex digits. Streams the file; any size is fine.</summary>
    /// <param name="path">The file, such as a teacher <c>.onnx</c> or a data file.</param>
    /// <returns>For example <c>e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855</c> for an empty file.</returns>
    /// <param name="cancellationToken">Stops the hashing between 1 MiB reads (a data file can be many gigabytes).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static string Sha256(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Cannot fingerprint '{path}': the file was not found.", path);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            hash.AppendData(buffer, 0, read);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// The fingerprint of a data set as stored in <see cref="CacheMetadata.DataFingerprint"/>: the SHA-256 of the data file and
    /// its row count, as <c>sha256:&lt;hex&gt;;rows=&lt;n&gt;</c>.
    /// </summary>
    /// <param name="path">The data file the cache was scored from (for IDX, the image file).</param>
    /// <param name="rows">The number of rows of the whole data set (not of one shard).</param>
    /// <param name="cancellationToken">Stops the hashing, as for <see cref="Sha256"/>.</param>
    /// <returns>A string that changes when the data's bytes or row count change.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public static string Data(string path, long rows, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        return string.Create(CultureInfo.InvariantCulture, $"sha256:{Sha256(path, cancellationToken)};rows={rows}");
    }
}
