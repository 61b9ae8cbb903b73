using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Data;

/// <summary>
/// What the teacher's classes are called, in the teacher's order: class c (key c + 1) is <c>Values[c]</c>. They become
/// the key values (ML.NET's <c>KeyValues</c> annotation) of predicted-label keys, so <c>MapKeyToValue</c> gives labels
/// back. Taken from the teacher's <c>TeacherPredictedLabel</c> key values when they name the classes, else from a key
/// label's values, else the numbers 0..K-1 in the label's own type (Single without a label).
/// </summary>
/// <remarks>
/// Students predict the teacher's class indices, so a key label must number the classes as the teacher does. ML.NET's
/// <c>MapValueToKey</c> numbers values by first occurrence unless told <c>ByValue</c>; such a label would make every
/// metric silently wrong, so <see cref="Resolve"/> refuses it and names the fix.
/// </remarks>
internal abstract class ClassValues
{
    private const int MaxShown = 10;

    /// <summary>ML.NET's annotation kind for the values of a key column (its constant is internal to ML.NET).</summary>
    private protected const string KeyValuesKind = "KeyValues";

    /// <summary>Gets the number of classes.</summary>
    public abstract int Count { get; }

    /// <summary>Gets the values' ML.NET type.</summary>
    public abstract PrimitiveDataViewType ItemType { get; }

    /// <summary>Gets whether the values are the numbers 0..K-1 (so they name nothing beyond the class index).</summary>
    public abstract bool IsIndices { get; }

    /// <summary>Gets whether the values ascend strictly, as <c>MapValueToKey(..., keyOrdinality: ByValue)</c> orders them.</summary>
    public abstract bool IsAscending { get; }

    /// <summary>The numbers 0..K-1 in the type of a label column (Single, Double, Int32, Int64; Boolean for two classes; otherwise Single).</summary>
    public static ClassValues Indices(int classes, DataViewType? labelType)
    {
        if (labelType == NumberDataViewType.Double)
        {
            return new ClassValues<double>(NumberDataViewType.Double, Enumerable.Range(0, classes).Select(c => (double)c).ToArray());
        }

        if (labelType == NumberDataViewType.Int32)
        {
            return new ClassValues<int>(NumberDataViewType.Int32, Enumerable.Range(0, classes).ToArray());
        }

        if (labelType == NumberDataViewType.Int64)
        {
            return new ClassValues<long>(NumberDataViewType.Int64, Enumerable.Range(0, classes).Select(c => (long)c).ToArray());
        }

        if (labelType == BooleanDataViewType.Instance && classes == 2)
        {
            return new ClassValues<bool>(BooleanDataViewType.Instance, [false, true]);
        }

        return new ClassValues<float>(NumberDataViewType.Single, Enumerable.Range(0, classes).Select(c => (float)c).ToArray());
    }

    /// <summary>The key values of a key column, or <see langword="null"/> when it is not a key or has none.</summary>
    public static ClassValues? FromKeyValues(DataViewSchema.Column column)
    {
        if (column.Type is not KeyDataViewType key
            || column.Annotations.Schema.GetColumnOrNull(KeyValuesKind) is not { Type: VectorDataViewType { ItemType: PrimitiveDataViewType item } type }
            || type.Size != (int)key.Count)
        {
            return null;
        }

        var method = typeof(ClassValues).GetMethod(nameof(ReadKeyValues), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        return (ClassValues)method.MakeGenericMethod(item.RawType).Invoke(null, [column, item])!;
    }

    /// <summary>
    /// The classes of a model trained on <paramref name="schema"/>: the teacher's names when its predicted-label column
    /// carries them, else a key label's values, else 0..K-1 in the label's type. A key label must have
    /// <paramref name="classes"/> keys, numbered as the teacher numbers its classes.
    /// </summary>
    /// <param name="schema">The training data's schema.</param>
    /// <param name="labelColumnName">The hard-label column, or <see langword="null"/>; a column that is absent or not a class label is ignored.</param>
    /// <param name="teacherPredictedColumnName">The teacher's predicted-label column, whose key values name the classes, or <see langword="null"/>.</param>
    /// <param name="classes">The teacher's class count K.</param>
    /// <param name="known">Class values already fixed (those of a fitted teacher), checked against a key label like the teacher's names.</param>
    /// <returns>The class values.</returns>
    /// <exception cref="ArgumentException">The label is a key of another count, or its values are not in the teacher's order.</exception>
    public static ClassValues Resolve(DataViewSchema schema, string? labelColumnName, string? teacherPredictedColumnName, int classes, ClassValues? known = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var named = known is { IsIndices: false } ? known : null;
        if (named is null && teacherPredictedColumnName is not null && schema.GetColumnOrNull(teacherPredictedColumnName) is { } teacherColumn
            && FromKeyValues(teacherColumn) is { IsIndices: false } teacherValues && teacherValues.Count == classes)
        {
            named = teacherValues;
        }

        var label = labelColumnName is null ? null : schema.GetColumnOrNull(labelColumnName);
        if (label is not { } l || !LabelReader.CanRead(l.Type))
        {
            return named ?? known ?? Indices(classes, null);
        }

        if (l.Type is not KeyDataViewType key)
        {
            return named ?? known ?? Indices(classes, l.Type);
        }

        if ((int)key.Count != classes)
        {
            throw new ArgumentException(
                $"Label column '{l.Name}' is a key of {key.Count} values but the teacher has {classes} classes. Use a teacher trained on the same classes, or map the label with MapValueToKey over the teacher's classes (keyData: the {classes} class values in the teacher's order).");
        }

        var values = FromKeyValues(l);
        if (values is null)
        {
            return named ?? known ?? Indices(classes, null);
        }

        if (named is not null)
        {
            if (!values.SameValues(named))
            {
                throw new ArgumentException(
                    $"Label column '{l.Name}' is a key whose values are {values.Describe()}, but the teacher's classes are {named.Describe()} in that order: key k must be the teacher's class k - 1, or predictions and metrics are silently wrong. Map the label with MapValueToKey(..., keyData: the teacher's class names in its order), or pass the teacher's class index as a number.");
            }

            return named;
        }

        if (!values.IsAscending)
        {
            throw new ArgumentException(
                $"Label column '{l.Name}' is a key whose values are in the order {values.Describe()} (MapValueToKey numbers values by first occurrence unless told otherwise), but students predict the teacher's classes in the order of their values: key k must be the teacher's class k - 1, or predictions and metrics are silently wrong. Map the label with MapValueToKey(..., keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue), or pass the numeric label column itself.");
        }

        return values;
    }

    /// <summary>Whether <paramref name="other"/> holds the same values in the same order.</summary>
    public abstract bool SameValues(ClassValues other);

    /// <summary>The values for a message: at most ten, then "... and N more".</summary>
    public abstract string Describe();

    /// <summary>The <c>KeyValues</c> annotation of a key column over these classes.</summary>
    public abstract DataViewSchema.Annotations KeyValueAnnotations();

    /// <summary>
    /// ML.NET's saveable steps that turn a class index column (Single, 0..K-1) into a key over these classes, in place:
    /// <c>MapValue</c> from index to value, then <c>MapValueToKey</c> with these values as its key data (in this order),
    /// so the key carries them as its key values.
    /// </summary>
    public abstract IEstimator<ITransformer> IndexToKey(TransformsCatalog transforms, string column);

    private static string Show<T>(T value) => value switch
    {
        ReadOnlyMemory<char> text => $"'{text}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value?.ToString() ?? "",
    };

    private static ClassValues<T> ReadKeyValues<T>(DataViewSchema.Column column, PrimitiveDataViewType item)
    {
        VBuffer<T> buffer = default;
        column.GetKeyValues(ref buffer);
        return new ClassValues<T>(item, buffer.DenseValues().ToArray());
    }

    /// <summary>The values, as ML.NET's raw type.</summary>
    /// <typeparam name="T">The raw type of <see cref="ItemType"/>.</typeparam>
    private protected sealed class Row<T>
    {
        public T Value { get; set; } = default!;
    }

    private protected static string Describe<T>(IReadOnlyList<T> values) =>
        string.Join(", ", values.Take(MaxShown).Select(Show)) + (values.Count > MaxShown ? $", ... and {values.Count - MaxShown} more" : "");
}

/// <summary>Class values of one raw type.</summary>
/// <typeparam name="T">The raw type of the values (Single, Double, ReadOnlyMemory of char, ...).</typeparam>
internal sealed class ClassValues<T> : ClassValues
{
    private readonly T[] _values;

    public ClassValues(PrimitiveDataViewType itemType, T[] values)
    {
        ItemType = itemType;
        _values = values;
    }

    public override int Count => _values.Length;

    public override PrimitiveDataViewType ItemType { get; }

    public override bool IsIndices => ItemType is NumberDataViewType
        && _values.Select((v, i) => (v, i)).All(p => Convert.ToDouble(p.v, CultureInfo.InvariantCulture) == p.i);

    /// <remarks>Text values that are all numbers ("0", "1", ..., "10") must ascend as numbers, since they number classes.</remarks>
    public override bool IsAscending
    {
        get
        {
            double[]? numbers = _values is ReadOnlyMemory<char>[] texts ? AsNumbers(texts) : null;
            for (int i = 1; i < _values.Length; i++)
            {
                if (numbers is null ? Compare(_values[i - 1], _values[i]) >= 0 : numbers[i - 1] >= numbers[i])
                {
                    return false;
                }
            }

            return true;
        }
    }

    public override bool SameValues(ClassValues other) =>
        other is ClassValues<T> same && same._values.Length == _values.Length && _values.Select((v, i) => Compare(v, same._values[i]) == 0).All(x => x);

    public override string Describe() => Describe(_values);

    public override DataViewSchema.Annotations KeyValueAnnotations()
    {
        var builder = new DataViewSchema.Annotations.Builder();
        T[] values = _values;
        ValueGetter<VBuffer<T>> getter = (ref VBuffer<T> dst) =>
        {
            var editor = VBufferEditor.Create(ref dst, values.Length);
            values.AsSpan().CopyTo(editor.Values);
            dst = editor.Commit();
        };
        builder.Add(KeyValuesKind, new VectorDataViewType(ItemType, values.Length), getter);
        return builder.ToAnnotations();
    }

    public override IEstimator<ITransformer> IndexToKey(TransformsCatalog transforms, string column)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        var pairs = _values.Select((v, i) => new KeyValuePair<float, T>(i, v));
        var keyData = new MLContext(seed: 0).Data.LoadFromEnumerable(_values.Select(v => new Row<T> { Value = v }));
        return transforms.Conversion.MapValue(column, pairs, column)
            .Append(transforms.Conversion.MapValueToKey(column, column, keyData: keyData));
    }

    private static double[]? AsNumbers(ReadOnlyMemory<char>[] texts)
    {
        var numbers = new double[texts.Length];
        for (int i = 0; i < texts.Length; i++)
        {
            if (!double.TryParse(texts[i].Span, NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return numbers;
    }

    private static int Compare(T a, T b) => (a, b) switch
    {
        (ReadOnlyMemory<char> x, ReadOnlyMemory<char> y) => x.Span.CompareTo(y.Span, StringComparison.Ordinal),
        _ => Comparer<T>.Default.Compare(a, b),
    };
}
