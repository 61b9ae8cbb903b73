namespace MLNetDistill.Llm;

/// <summary>How far an LLM labeling run is: reported after each answered row and after each chunk written.</summary>
/// <param name="RowsDone">Rows whose soft labels are known, including those read back from an earlier run's cache.</param>
/// <param name="RowsTotal">The data's rows.</param>
/// <param name="RowsSaved">Rows kept on disk so far: in the cache file and the chunks written (see <see cref="LlmLabelerOptions.ChunkRows"/>).</param>
/// <param name="Retries">Requests retried so far (429, 5xx, no connection).</param>
/// <example>
/// <code language="csharp">
/// var progress = new Progress&lt;LlmLabelingProgress&gt;(p => Console.WriteLine($"{p.RowsDone}/{p.RowsTotal} rows, {p.RowsSaved} saved"));
/// </code>
/// </example>
public sealed record LlmLabelingProgress(long RowsDone, long RowsTotal, long RowsSaved, long Retries);
