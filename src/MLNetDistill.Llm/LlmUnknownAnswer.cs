namespace MLNetDistill.Llm;

/// <summary>What an LLM labeler writes for a row whose answer names no known class (none of the first answer token's top log-probabilities is the start of a class name).</summary>
/// <example>
/// <code language="csharp">
/// var options = new LlmLabelerOptions { Model = "gpt-4o-mini", UnknownAnswer = LlmUnknownAnswer.Skip };
/// options.Classes.Add("ham");
/// options.Classes.Add("spam");
/// </code>
/// </example>
public enum LlmUnknownAnswer
{
    /// <summary>The row's soft label is uniform (1/K for every class, logits 0): the student learns nothing from the LLM there, and the row is counted.</summary>
    Uniform,

    /// <summary>
    /// The row's logits and soft labels are written as NaN (and counted): a soft-label student trains on that row's hard label
    /// alone when it has one and leaves the row out otherwise, so no made-up label reaches it.
    /// </summary>
    Skip,
}
