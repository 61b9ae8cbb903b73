using Microsoft.ML;

namespace MLNetDistill.MlNet;

/// <summary>
/// Every ML.NET member MLNetDistill reaches through reflection, gathered from the classes of this folder, so that one
/// test can say which ones a new ML.NET version moved. Code outside <c>MlNet/</c> does not reflect on ML.NET.
/// </summary>
internal static class MlNetInternals
{
    /// <summary>Gets the version of the ML.NET assembly loaded.</summary>
    public static string Version => typeof(MLContext).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Each reflected member, the class that uses it and whether this ML.NET has it.</summary>
    public static IReadOnlyList<(string Member, string UsedBy, bool Found)> Check() =>
    [
        .. CatalogEnvironment.Lookups().Select(l => (l.Member, nameof(CatalogEnvironment), l.Found)),
        .. SchemaColumns.Lookups().Select(l => (l.Member, nameof(SchemaColumns), l.Found)),
        .. TrainerColumns.Lookups().Select(l => (l.Member, nameof(TrainerColumns), l.Found)),
        .. ModelParameterParts.Lookups().Select(l => (l.Member, nameof(ModelParameterParts), l.Found)),
    ];

    /// <summary>The error for a member this ML.NET does not have where there is no fallback.</summary>
    public static InvalidOperationException Missing(string member) =>
        new($"ML.NET {Version} has no {member}, which MLNetDistill reaches through reflection: use Microsoft.ML 5.0.x, the version this MLNetDistill is built against.");
}
