namespace MLNetDistill.Tests.Llm;

/// <summary>One email text, the input row of the LLM labeler and the text teacher in the tests.</summary>
internal sealed class TextRow
{
    public string Text { get; set; } = "";
}
