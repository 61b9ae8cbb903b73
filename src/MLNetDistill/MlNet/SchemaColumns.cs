using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.MlNet;

/// <summary>
/// Makes <see cref="SchemaShape.Column"/> values for estimators' <c>GetOutputSchema</c>. ML.NET keeps the column's
/// constructor internal (every estimator outside ML.NET meets this), so it is called through reflection, once looked up.
/// </summary>
internal static class SchemaColumns
{
    private static readonly ConstructorInfo? Constructor = typeof(SchemaShape.Column).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
        .FirstOrDefault(c => c.GetParameters().Length == 5);

    /// <summary>The ML.NET internals this class uses, each with whether this ML.NET has it.</summary>
    public static IEnumerable<(string Member, bool Found)> Lookups() =>
    [
        ("Microsoft.ML.SchemaShape.Column(string, VectorKind, DataViewType, bool, SchemaShape) constructor", Constructor is not null),
    ];

    /// <summary>A schema column of the given name, shape and item type, with no annotations.</summary>
    public static SchemaShape.Column Create(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey) =>
        (SchemaShape.Column)(Constructor ?? throw MlNetInternals.Missing("SchemaShape.Column's constructor")).Invoke([name, kind, itemType, isKey, null]);
}
