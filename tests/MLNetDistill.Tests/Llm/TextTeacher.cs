namespace MLNetDistill.Tests.Llm;

/// <summary>
/// The probabilities the test chat server answers with. PLACEHOLDER until the fixture text teacher lands (branch textteach):
/// a fixed function of the text, so the labeler's numbers are checkable.
/// </summary>
internal static class TextTeacher
{
    public static readonly string[] Classes = ["ham", "spam"];

    public static string[] Texts(int count) =>
        [.. Enumerable.Range(0, count).Select(i => $"Message {i}: {(i % 3 == 0 ? "FREE money, click now to win" : "the meeting moved to Tuesday, see the notes")} #{i * 7919 % 1000}")];

    public static float[] Probabilities(string text)
    {
        int h = 17;
        foreach (char c in text)
        {
            h = unchecked((h * 31) + c);
        }

        float spam = 0.02f + (0.96f * ((h & 0x7fffffff) % 1000) / 1000f);
        return [1 - spam, spam];
    }
}
