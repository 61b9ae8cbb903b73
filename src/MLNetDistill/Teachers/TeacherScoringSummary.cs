namespace MLNetDistill.Teachers;

/// <summary>What one scoring run into a cache did (the fields of <c>mlnet-distill score --json</c>).</summary>
/// <param name="Rows">Rows scored and written.</param>
/// <param name="Seconds">Wall-clock seconds, reading, scoring and writing.</param>
/// <param name="RowsPerSecond">Rows per second over the whole run.</param>
/// <param name="Device">Where the teacher ran: <c>cpu</c> or <c>cuda:N</c>.</param>
/// <param name="Classes">The teacher's class count K.</param>
/// <param name="Temperature">The soft-label temperature.</param>
/// <param name="TeacherAccuracy">The share of rows whose label the teacher predicts, when labels are known.</param>
/// <param name="SkippedRows">Rows skipped for NaN or infinite features.</param>
/// <param name="Output">The cache file written.</param>
/// <param name="EmptyTexts">Rows of a text teacher whose text was empty or whitespace only (scored as the tokenizer's special tokens alone, <c>[CLS] [SEP]</c> for BERT); 0 for numeric teachers.</param>
/// <param name="TruncatedTexts">Rows of a text teacher whose text had more tokens than <see cref="TeacherScoringOptions.MaxTokens"/> and was truncated; 0 for numeric teachers.</param>
public sealed record TeacherScoringSummary(long Rows, double Seconds, double RowsPerSecond, string Device, int Classes, float Temperature, double? TeacherAccuracy, long SkippedRows, string Output,
    long EmptyTexts = 0, long TruncatedTexts = 0)
{
    /// <summary>Gets the teacher model's output the logits were read from (<see cref="TeacherScoringTransformer.TeacherOutputName"/>).</summary>
    public string? TeacherOutput { get; init; }

    /// <summary>Gets whether that output was read as probabilities (its logarithm used as logits).</summary>
    public bool OutputWasProbabilities { get; init; }
}
