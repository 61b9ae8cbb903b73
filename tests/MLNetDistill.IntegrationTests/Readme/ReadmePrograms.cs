using System.Text;
using System.Text.RegularExpressions;

namespace MLNetDistill.Tests.Readme;

/// <summary>
/// The C# programs of README.md, as a reader copies them: every <c>```csharp</c> block that starts with a
/// <c>using</c> directive starts a new program (a <c>Program.cs</c> with top-level statements); a block without one
/// continues the program above it.
/// </summary>
internal static partial class ReadmePrograms
{
    public static string ReadmePath => Path.Combine(TestPaths.Repo, "README.md");

    /// <summary>Each program: the README line it starts on, and its source.</summary>
    public static IReadOnlyList<(int Line, string Source)> Read(string markdown)
    {
        var programs = new List<(int Line, StringBuilder Source)>();
        string[] lines = markdown.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (!CSharpFence().IsMatch(lines[i]))
            {
                continue;
            }

            int start = i + 1;
            var block = new StringBuilder();
            for (i = start; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
            {
                block.Append(lines[i]).Append('\n');
            }

            string code = block.ToString();
            bool startsProgram = UsingDirective().IsMatch(code.TrimStart());
            if (startsProgram || programs.Count == 0)
            {
                programs.Add((start + 1, new StringBuilder()));
            }

            programs[^1].Source.Append($"#line {start + 1} \"README.md\"\n").Append(code);
        }

        return programs.Select(p => (p.Line, p.Source.ToString())).ToList();
    }

    /// <summary>A using directive (<c>using A.B;</c>, <c>using static A.B;</c>, <c>using X = A.B;</c>), not a using statement or declaration.</summary>
    [GeneratedRegex(@"^using\s+(static\s+)?(\w+\s*=\s*)?[\w.]+\s*;")]
    private static partial Regex UsingDirective();

    [GeneratedRegex(@"^\s*```\s*(csharp|cs|c#)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex CSharpFence();
}
