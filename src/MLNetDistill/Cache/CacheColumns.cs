using System.Globalization;
using Parquet.Schema;
using MLNetDistill.Data;

namespace MLNetDistill.Cache;

/// <summary>The column names of a teacher cache file, in file order: [Label], logit_0.., soft_0.., teacher_pred.</summary>
internal static class CacheColumns
{
    /// <summary>The optional label column.</summary>
    public const string Label = DataColumnNames.Label;

    /// <summary>The teacher's predicted class, 0-based Int32.</summary>
    public const string Predicted = "teacher_pred";

    /// <summary>The file's extension for the CSV flavour.</summary>
    public const string CsvExtension = ".csv";

    /// <summary>The file's extension for the Parquet flavour.</summary>
    public const string ParquetExtension = ".parquet";

    /// <summary>The CSV flavour's metadata sidecar: the cache path plus this.</summary>
    public const string SidecarSuffix = ".json";

    /// <summary>Name of logit column <paramref name="k"/>.</summary>
    public static string Logit(int k) => string.Create(CultureInfo.InvariantCulture, $"logit_{k}");

    /// <summary>Name of soft-label column <paramref name="k"/>.</summary>
    public static string Soft(int k) => string.Create(CultureInfo.InvariantCulture, $"soft_{k}");

    /// <summary>The Parquet fields of the K logit columns and the K soft-label columns, in file order.</summary>
    public static (DataField<float>[] Logits, DataField<float>[] Soft) ClassFields(int classes)
    {
        var logits = new DataField<float>[classes];
        var soft = new DataField<float>[classes];
        for (int k = 0; k < classes; k++)
        {
            logits[k] = new DataField<float>(Logit(k));
            soft[k] = new DataField<float>(Soft(k));
        }

        return (logits, soft);
    }

    /// <summary>How many columns <see cref="All"/> names: K logits, K soft labels, the prediction and the optional label.</summary>
    public static long Count(int classes, bool hasLabel) => (2L * classes) + 1 + (hasLabel ? 1 : 0);

    /// <summary>All column names of a cache with <paramref name="classes"/> classes, in file order.</summary>
    public static string[] All(int classes, bool hasLabel)
    {
        var names = new List<string>(2 * classes + 2);
        if (hasLabel)
        {
            names.Add(Label);
        }

        for (int k = 0; k < classes; k++)
        {
            names.Add(Logit(k));
        }

        for (int k = 0; k < classes; k++)
        {
            names.Add(Soft(k));
        }

        names.Add(Predicted);
        return [.. names];
    }

    /// <summary>Whether <paramref name="path"/> names a cache file (CSV or Parquet) rather than a sidecar or something else.</summary>
    public static bool IsCacheFile(string path) =>
        path.EndsWith(CsvExtension, StringComparison.OrdinalIgnoreCase) || path.EndsWith(ParquetExtension, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="path"/> is the Parquet flavour.</summary>
    public static bool IsParquet(string path) => path.EndsWith(ParquetExtension, StringComparison.OrdinalIgnoreCase);
}
