using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;

namespace MLNetDistill.Students;

/// <summary>
/// A text student: <see cref="TextFeaturization"/> from the text column into <c>Features</c>, then the family's trainer. The
/// model is ML.NET's <see cref="TransformerChain{TLastTransformer}"/> of the fitted featurizer and the trainer's model, which
/// <c>mlContext.Model.Save/Load</c> stores whole.
/// </summary>
internal sealed class TextStudentEstimator : IEstimator<ITransformer>
{
    private readonly IEstimator<ITransformer> _chain;
    private readonly string _textColumn;

    public TextStudentEstimator(MLContext mlContext, TextFeaturization text, string textColumn, IEstimator<ITransformer> trainer)
    {
        _textColumn = textColumn;
        _chain = text.Estimator(mlContext, textColumn, DataColumnNames.Features).Append(trainer);
    }

    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Check(input.Schema);
        return _chain.Fit(input);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => _chain.GetOutputSchema(inputSchema);

    /// <summary>Wraps both trainers of a family for a text student.</summary>
    public static StudentTrainers Wrap(StudentTrainers trainers, TextFeaturization text, string textColumn, MLContext mlContext) => trainers with
    {
        Distilled = new TextStudentEstimator(mlContext, text, textColumn, trainers.Distilled),
        HardLabel = trainers.HardLabel is { } hard ? new TextStudentEstimator(mlContext, text, textColumn, hard) : null,
    };

    private void Check(DataViewSchema schema)
    {
        var column = schema.GetColumnOrNull(_textColumn);
        if (column is null)
        {
            throw new ArgumentException(
                $"A text student reads the text column '{_textColumn}', which the data does not have (it has {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}): name the text column (TextColumnName, --text), or drop text= from the student's spec.");
        }

        if (column.Value.Type is not TextDataViewType)
        {
            throw new ArgumentException($"A text student reads column '{_textColumn}' as text, but it holds {column.Value.Type}: name a string column, or drop text= from the student's spec.");
        }
    }
}
