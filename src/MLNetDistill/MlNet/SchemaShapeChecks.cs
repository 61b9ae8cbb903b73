using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.MlNet;

/// <summary>
/// Checks of <see cref="SchemaShape"/> columns shared by the estimators' <c>GetOutputSchema</c>, so that a column of
/// the wrong type is reported before <c>Fit</c>, with the same words everywhere.
/// </summary>
internal static class SchemaShapeChecks
{
    /// <summary>A column's type as a message shows it: <c>Single</c>, <c>Vector&lt;Single&gt;</c>, <c>variable-size Vector&lt;Int64&gt;</c>, <c>Key&lt;UInt32&gt;</c>.</summary>
    public static string Describe(SchemaShape.Column column)
    {
        string item = column.IsKey ? $"Key<{column.ItemType.RawType.Name}>" : column.ItemType.ToString() ?? column.ItemType.RawType.Name;
        return column.Kind switch
        {
            SchemaShape.Column.VectorKind.Vector => $"Vector<{item}>",
            SchemaShape.Column.VectorKind.VariableVector => $"variable-size Vector<{item}>",
            _ => item,
        };
    }

    /// <summary>Finds a column by name (ML.NET keeps <c>SchemaShape.TryFindColumn</c> internal).</summary>
    public static bool TryFind(SchemaShape schema, string name, out SchemaShape.Column column)
    {
        foreach (var c in schema)
        {
            if (c.Name == name)
            {
                column = c;
                return true;
            }
        }

        column = default;
        return false;
    }

    /// <summary>The shape of a schema's visible columns, so that <c>Fit</c> can run the checks <c>GetOutputSchema</c> runs (ML.NET keeps <c>SchemaShape.Create</c> internal).</summary>
    public static SchemaShape Shape(DataViewSchema schema) => new(schema.Where(c => !c.IsHidden).Select(c =>
    {
        var vector = c.Type as VectorDataViewType;
        var item = vector?.ItemType ?? c.Type;
        var kind = vector is null ? SchemaShape.Column.VectorKind.Scalar
            : vector.IsKnownSize ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.VariableVector;
        return SchemaColumns.Create(c.Name, kind, item, item is KeyDataViewType);
    }));

    /// <summary>The visible column names of a schema shape, at most ten, then how many more.</summary>
    public static string Names(SchemaShape schema) => Data.ColumnNameList.Format(schema.Select(c => c.Name));

    /// <summary>Whether a column is a vector of Single values of known size (what teachers write for logits and soft labels).</summary>
    public static bool IsSingleVector(SchemaShape.Column column) =>
        column.Kind == SchemaShape.Column.VectorKind.Vector && !column.IsKey && column.ItemType == NumberDataViewType.Single;

    /// <summary>Whether a column can be read as a class label: a scalar number, bool or key (see <see cref="Data.LabelReader"/>).</summary>
    public static bool IsReadableLabel(SchemaShape.Column column) =>
        column.Kind == SchemaShape.Column.VectorKind.Scalar
        && (column.IsKey || column.ItemType == NumberDataViewType.Single || column.ItemType == NumberDataViewType.Double
            || column.ItemType == NumberDataViewType.Int32 || column.ItemType == NumberDataViewType.Int64 || column.ItemType == BooleanDataViewType.Instance);

    /// <summary>
    /// Throws unless <paramref name="name"/> is a vector of Single of known size.
    /// </summary>
    /// <param name="schema">The input schema.</param>
    /// <param name="name">The column.</param>
    /// <param name="role">What the column holds, for the message (e.g. "soft-label").</param>
    /// <param name="fix">How to make the column, for the message when it is missing.</param>
    public static SchemaShape.Column RequireSingleVector(SchemaShape schema, string name, string role, string fix)
    {
        if (!TryFind(schema, name, out var column))
        {
            throw new ArgumentException($"The {role} column '{name}' is not in the data. {fix} Columns present: {Names(schema)}.");
        }

        if (!IsSingleVector(column))
        {
            throw new ArgumentException($"The {role} column '{name}' holds {Describe(column)}; it must be a vector of Single values of known size, as ScoreWithTeacher writes it.");
        }

        return column;
    }

    /// <summary>Throws unless <paramref name="name"/> is a single Single per row: a regression teacher's prediction.</summary>
    public static void RequireTeacherScore(SchemaShape schema, string name)
    {
        if (!TryFind(schema, name, out var column))
        {
            throw new ArgumentException($"The teacher prediction column '{name}' is not in the data. Score the data with a regression teacher (ScoreWithTeacher with Task = TeacherTask.Regression adds '{Data.DataColumnNames.TeacherScore}'), or set TeacherScoreColumnName. Columns present: {Names(schema)}.");
        }

        if (!IsSingle(column))
        {
            throw new ArgumentException($"The teacher prediction column '{name}' holds {Describe(column)}; a regression teacher's prediction must be a Single (one value per row).");
        }
    }

    /// <summary>Throws when <paramref name="name"/> is present but is not a Single, the type a regression label is read as; an absent label is allowed.</summary>
    public static void CheckOptionalRegressionLabel(SchemaShape schema, string name)
    {
        if (TryFind(schema, name, out var column) && !IsSingle(column))
        {
            throw new ArgumentException($"The label column '{name}' holds {Describe(column)}; a regression label must be a Single (convert it with mlContext.Transforms.Conversion.ConvertType(\"{name}\", outputKind: DataKind.Single)).");
        }
    }

    /// <summary>Throws when <paramref name="name"/> is present but cannot be read as a class label; an absent label is allowed (unlabeled data).</summary>
    public static void CheckOptionalLabel(SchemaShape schema, string? name)
    {
        if (name is not null && TryFind(schema, name, out var column) && !IsReadableLabel(column))
        {
            throw new ArgumentException($"The label column '{name}' holds {Describe(column)}; a class label must be a single number (Single, Double, Int32, Int64), a Boolean or a key. Convert it (e.g. mlContext.Transforms.Conversion.MapValueToKey for text labels), or name another label column.");
        }
    }

    private static bool IsSingle(SchemaShape.Column column) =>
        column.Kind == SchemaShape.Column.VectorKind.Scalar && !column.IsKey && column.ItemType == NumberDataViewType.Single;
}
