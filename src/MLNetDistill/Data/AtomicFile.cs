using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace MLNetDistill.Data;

/// <summary>
/// Writes a file under a temporary name in the same folder (<c>.NAME.&lt;random&gt;.tmp</c>) and renames it into place only
/// when the write has finished, so a reader never sees half a file. The temporary file is deleted when the write throws
/// or is cancelled. For caches, reports and models alike.
/// </summary>
internal static class AtomicFile
{
    // The temporary files being written right now, so that a process stopping in a hurry (the CLI after Ctrl+C) can remove them.
    private static readonly ConcurrentDictionary<string, byte> Pending = new(StringComparer.Ordinal);

    // The final files completed in this process, in order, so the CLI can say what a cancelled run kept. Recorded only when
    // asked for (the CLI asks): a service saving a model per request must not keep a list that only grows.
    private static readonly ConcurrentQueue<string> Completed = new();

    /// <summary>Gets or sets whether completed files are recorded in <see cref="CompletedFiles"/>.</summary>
    /// <value>Defaults to <see langword="false"/>; the CLI turns it on.</value>
    internal static bool RecordCompleted { get; set; }

    /// <summary>The final paths renamed into place by this process since <see cref="RecordCompleted"/> was turned on, oldest first.</summary>
    internal static IReadOnlyCollection<string> CompletedFiles => Completed;

    /// <summary>Deletes the temporary files still being written (best effort); their final names are untouched.</summary>
    /// <returns>How many were deleted.</returns>
    internal static int DeletePending()
    {
        int deleted = 0;
        foreach (string temp in Pending.Keys)
        {
            if (TryDelete(temp))
            {
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>; the folder is created if needed.</summary>
    /// <param name="path">The final file; replaced if it exists.</param>
    /// <param name="write">Writes the whole content to the stream it is given (a new, empty, seekable file).</param>
    /// <param name="beforeRename">
    /// Runs once the content is complete on disk, just before the rename: for a file that comes with a companion (a CSV
    /// cache's sidecar), the place to retire the old companion, so that a failure during the long write leaves the old pair whole.
    /// </param>
    public static void Write(string path, Action<Stream> write, Action? beforeRename = null)
    {
        ArgumentNullException.ThrowIfNull(write);
        string target = Prepare(path, out string temp);
        Pending[temp] = 0;
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }

            beforeRename?.Invoke();
            File.Move(temp, target, overwrite: true);
            if (RecordCompleted)
            {
                Completed.Enqueue(target);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            Pending.TryRemove(temp, out _);
        }
    }

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, asynchronously; the folder is created if needed.</summary>
    /// <param name="path">The final file; replaced if it exists.</param>
    /// <param name="write">Writes the whole content to the stream it is given (a new, empty, seekable file).</param>
    /// <param name="cancellationToken">Cancels the write; the temporary file is then deleted and nothing is renamed.</param>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        string target = Prepare(path, out string temp);
        Pending[temp] = 0;
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, target, overwrite: true);
            if (RecordCompleted)
            {
                Completed.Enqueue(target);
            }
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        finally
        {
            Pending.TryRemove(temp, out _);
        }
    }

    /// <summary>The temporary name used for <paramref name="path"/>: a hidden file beside it.</summary>
    internal static string TempPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(path) ?? string.Empty, $".{Path.GetFileName(path)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");

    private static string Prepare(string path, out string temp)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string target = Path.GetFullPath(path);
        if (Directory.Exists(target))
        {
            throw new ArgumentException($"Cannot write '{path}': it is a folder. Pass a file path.", nameof(path));
        }

        string folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);
        temp = TempPathFor(target);
        return target;
    }

    private static bool TryDelete(string temp)
    {
        try
        {
            bool existed = File.Exists(temp);
            File.Delete(temp);
            return existed;
        }
        catch (IOException)
        {
            // Best effort: the original error matters more than a leftover temporary file.
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
