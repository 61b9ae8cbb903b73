using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Teachers;

/// <summary>
/// Makes <see cref="SchemaShape.Column"/> values for estimators' <c>GetOutputSchema</c>. ML.NET keeps the column's
/// constructor internal (every estimator outside ML.NET meets this), so it is called through reflection, once looked up.
/// </summary>
internal static class SchemaColumns
{
    private static readonly ConstructorInfo Constructor = typeof(SchemaShape.Column).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
        .First(c => c.GetParameters().Length == 5);

    public static SchemaShape.Column Create(string name, SchemaShape.Column.VectorKind kind, DataViewType itemType, bool isKey) =>
        (SchemaShape.Column)Constructor.Invoke([name, kind, itemType, isKey, null]);
}
