namespace MLNetDistill.Data;

/// <summary>
/// Checks an output folder before any long work starts, so a run that would train for minutes fails at once when its
/// results could not be written: the folder is made when missing, must not be a file, and must take a file.
/// </summary>
internal static class OutputFolder
{
    /// <summary>Makes <paramref name="folder"/> when missing and checks that a file can be written in it (a probe file is written and deleted).</summary>
    /// <param name="folder">The output folder.</param>
    /// <returns>The folder's full path.</returns>
    /// <exception cref="IOException">The folder is an existing file, or it cannot be made or written to; the message says which and why.</exception>
    public static string Prepare(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string full = Path.GetFullPath(folder);
        if (File.Exists(full))
        {
            throw new IOException($"The output folder '{folder}' is a file: give a folder (it is made when missing), or move the file.");
        }

        string probe = Path.Combine(full, $".write-check.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(full);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"The output folder '{folder}' cannot be written to ({e.Message.TrimEnd('.')}): choose a folder you can write to, or fix its permissions.", e);
        }

        return full;
    }
}
