using System.Globalization;
using System.IO.Enumeration;
using MLNetDistill.Data;

namespace MLNetDistill.Cache;

/// <summary>One cache file and its metadata; and how a path, folder or glob becomes a checked, ordered set of shards.</summary>
/// <param name="Path">The cache file.</param>
/// <param name="Metadata">Its metadata (from the Parquet footer or the JSON sidecar).</param>
internal sealed record CacheShard(string Path, CacheMetadata Metadata)
{
    /// <summary>Reads the metadata of one cache file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">It has no metadata (a CSV without its sidecar) or the metadata is damaged.</exception>
    public static CacheShard Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Teacher cache '{path}' was not found: check the path, or run `mlnet-distill score` to make it.", path);
        }

        if (CacheColumns.IsParquet(path))
        {
            Parquet.ParquetReader reader = ParquetColumns.Open(path);
            try
            {
                CacheMetadata metadata = CacheMetadata.FromKeyValues(ParquetColumns.Decode(path, "its key-value metadata", () => reader.CustomMetadata), path);
                CheckColumnCount(path, metadata, ParquetColumns.Decode(path, "its schema", () => reader.Schema.DataFields.Length), exact: false);
                return new CacheShard(path, metadata);
            }
            finally
            {
                ParquetColumns.Close(reader);
            }
        }

        if (!path.EndsWith(CacheColumns.CsvExtension, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{path}' is not a teacher cache: expected a .parquet or .csv file.", nameof(path));
        }

        string sidecar = path + CacheColumns.SidecarSuffix;
        if (!File.Exists(sidecar))
        {
            throw new InvalidDataException(
                $"Teacher cache '{path}' has no metadata sidecar '{System.IO.Path.GetFileName(sidecar)}': it was not written completely (or not by MLNetDistill). " +
                "Re-run `mlnet-distill score` to write it again.");
        }

        CacheMetadata csvMetadata = CacheMetadata.FromJson(File.ReadAllBytes(sidecar), sidecar);
        string? header;
        using (var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true))
        {
            header = reader.ReadLine();
        }

        if (header is null)
        {
            throw new InvalidDataException($"Teacher cache '{path}' is empty: re-run `mlnet-distill score`.");
        }

        CheckColumnCount(path, csvMetadata, header.AsSpan().Count(',') + 1, exact: true);
        return new CacheShard(path, csvMetadata);
    }

    /// <summary>
    /// Refuses metadata whose class count does not fit the file's columns (K logits, K soft labels, the prediction and the
    /// optional label), naming both: the class count sizes every buffer of the readers, so it is checked before they are made.
    /// A Parquet cache may hold extra columns (<paramref name="exact"/> false); a CSV cache's header is exactly the cache's.
    /// </summary>
    private static void CheckColumnCount(string path, CacheMetadata metadata, long columns, bool exact)
    {
        long expected = CacheColumns.Count(metadata.Classes, metadata.HasLabel);
        if (columns < expected || (exact && columns != expected))
        {
            throw new InvalidDataException(
                $"Teacher cache '{path}' has {columns} columns but its metadata ({metadata.Classes:N0} classes, {(metadata.HasLabel ? "with" : "without")} label) " +
                $"calls for {expected:N0}: the file and its metadata do not belong together. Re-run `mlnet-distill score`.");
        }
    }

    /// <summary>
    /// Finds the cache files named by <paramref name="pathOrFolderOrGlob"/>, reads their metadata, checks that they fit together
    /// and orders them by shard index.
    /// </summary>
    /// <param name="pathOrFolderOrGlob">A file, a folder, or a folder plus a file-name glob.</param>
    /// <param name="checkTemperature">Whether the shards must share one temperature (when their stored soft labels are used).</param>
    /// <returns>
    /// The shards in index order and the metadata of the whole. A single file is returned as it is, even when it is one shard
    /// of several; a folder or glob must hold every shard of its split.
    /// </returns>
    public static (IReadOnlyList<CacheShard> Shards, CacheMetadata Merged) Resolve(string pathOrFolderOrGlob, bool checkTemperature)
    {
        List<string> files = FindFiles(pathOrFolderOrGlob, out bool isSet);
        if (!isSet)
        {
            CacheShard single = Open(files[0]);
            return ([single], single.Metadata);
        }

        var shards = new List<CacheShard>(files.Count);
        foreach (string file in files)
        {
            shards.Add(Open(file));
        }

        return Merge(shards, pathOrFolderOrGlob, checkTemperature);
    }

    private static (IReadOnlyList<CacheShard> Shards, CacheMetadata Merged) Merge(List<CacheShard> shards, string source, bool checkTemperature)
    {
        CacheShard first = shards[0];
        CacheMetadata m0 = first.Metadata;
        int count = m0.Shard.Count;
        var byIndex = new CacheShard?[Math.Max(count, 1)];
        long rows = 0;
        DateTime created = m0.CreatedUtc;
        foreach (CacheShard shard in shards)
        {
            CacheMetadata m = shard.Metadata;
            string pair = $"'{first.Path}' and '{shard.Path}'";
            if (!string.Equals(m.TeacherSha256, m0.TeacherSha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException(
                    $"Cache shards {pair} were made by different teachers ({m0.TeacherSha256} '{m0.TeacherFile}' and {m.TeacherSha256} '{m.TeacherFile}'): " +
                    "read one teacher's shards at a time (use a glob such as dir/part-*.parquet), or re-score with one teacher.");
            }

            if (m.Classes != m0.Classes)
            {
                throw new InvalidDataException($"Cache shards {pair} have {m0.Classes} and {m.Classes} classes: they cannot be merged. Re-score them with one teacher.");
            }

            if (m.HasLabel != m0.HasLabel)
            {
                throw new InvalidDataException($"Cache shard '{(m0.HasLabel ? shard.Path : first.Path)}' has no label column but '{(m0.HasLabel ? first.Path : shard.Path)}' has: re-score them the same way.");
            }

            if (!string.Equals(m.DataFingerprint, m0.DataFingerprint, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidDataException(
                    $"Cache shards {pair} were made from different data ({m0.DataFingerprint} and {m.DataFingerprint}): read one data set's shards at a time.");
            }

            if (checkTemperature && m.Temperature != m0.Temperature)
            {
                throw new InvalidDataException(
                    $"Cache shards {pair} hold soft labels at temperatures {m0.Temperature.ToString(CultureInfo.InvariantCulture)} and {m.Temperature.ToString(CultureInfo.InvariantCulture)}: " +
                    "pass a temperature to recompute the soft labels from the stored logits.");
            }

            if (m.Shard.Count != count)
            {
                throw new InvalidDataException(
                    $"Cache shards {pair} split the data differently ({m0.Shard} and {m.Shard}): all shards must have the same n in i/n.");
            }

            if (byIndex[m.Shard.Index] is CacheShard other)
            {
                throw new InvalidDataException(
                    $"Shard {m.Shard} appears twice, in '{other.Path}' and '{shard.Path}': remove the stale copy (or read a narrower glob).");
            }

            byIndex[m.Shard.Index] = shard;
            rows += m.Rows;
            if (m.CreatedUtc > created)
            {
                created = m.CreatedUtc;
            }
        }

        var missing = new List<string>();
        for (int i = 0; i < byIndex.Length; i++)
        {
            if (byIndex[i] is null)
            {
                missing.Add($"{i}/{count}");
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidDataException(
                $"'{source}' holds {shards.Count} of {count} cache shards: shard{(missing.Count > 1 ? "s" : string.Empty)} {string.Join(", ", missing)} " +
                $"{(missing.Count > 1 ? "are" : "is")} missing. Run `mlnet-distill score --shard i/{count}` for {(missing.Count > 1 ? "them" : "it")}, or wait for the job to finish.");
        }

        var ordered = new CacheShard[count];
        for (int i = 0; i < count; i++)
        {
            CacheShard shard = byIndex[i]!;
            long expected = shard.Metadata.Shard.RowsOf(rows);
            if (shard.Metadata.Rows != expected)
            {
                throw new InvalidDataException(
                    $"Shard {shard.Metadata.Shard} ('{shard.Path}') has {shard.Metadata.Rows:N0} rows but {expected:N0} were expected for {rows:N0} rows in {count} shards: " +
                    "the shards were not cut from the same data, or one was not finished. Re-run `mlnet-distill score` for it.");
            }

            ordered[i] = shard;
        }

        CacheMetadata merged = m0 with { Rows = rows, Shard = ShardSpec.Whole, CreatedUtc = created };
        return (ordered, merged);
    }

    private static List<string> FindFiles(string pathOrFolderOrGlob, out bool isSet)
    {
        string path = pathOrFolderOrGlob;
        isSet = true;
        if (Directory.Exists(path))
        {
            List<string> inFolder = Matching(path, "*");
            return inFolder.Count > 0
                ? inFolder
                : throw new FileNotFoundException($"Folder '{path}' holds no teacher-cache shards (*.parquet or *.csv): run `mlnet-distill score` first.", path);
        }

        string name = System.IO.Path.GetFileName(path);
        if (name.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            string folder = System.IO.Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";
            if (folder.AsSpan().IndexOfAny('*', '?') >= 0)
            {
                throw new ArgumentException($"Glob '{path}' has wildcards in its folder part: only the file name may hold * or ? (for example dir/part-*.parquet).", nameof(pathOrFolderOrGlob));
            }

            if (!Directory.Exists(folder))
            {
                throw new FileNotFoundException($"Folder '{folder}' of glob '{path}' was not found.", folder);
            }

            List<string> matched = Matching(folder, name);
            return matched.Count > 0
                ? matched
                : throw new FileNotFoundException($"No teacher-cache file (*.parquet or *.csv) in '{folder}' matches '{name}'.", path);
        }

        isSet = false;
        return [path];
    }

    private static List<string> Matching(string folder, string pattern)
    {
        var files = new List<string>();
        foreach (string file in Directory.EnumerateFiles(folder))
        {
            string name = System.IO.Path.GetFileName(file);
            if (!name.StartsWith('.') && CacheColumns.IsCacheFile(name) && FileSystemName.MatchesSimpleExpression(pattern, name, ignoreCase: false))
            {
                files.Add(file);
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }
}
