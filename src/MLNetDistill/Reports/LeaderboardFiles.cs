using System.Text;
using MLNetDistill.Experiments;

namespace MLNetDistill.Reports;

/// <summary>The file names of a student-size comparison's models, shared by <c>leaderboard.json</c> (here) and the folder MLNetDistill.Reports writes.</summary>
internal static class LeaderboardFiles
{
    /// <summary>Each entry's model file name (<see cref="ModelFileName"/>), made unique with <c>-2</c>, <c>-3</c>, ... where two names map to one file (<c>a/b</c> and <c>a_b</c>).</summary>
    public static IReadOnlyDictionary<string, string> ModelFiles(Leaderboard leaderboard)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        var taken = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in leaderboard.Entries)
        {
            string file = ModelFileName(entry.Name);
            for (int n = 2; !taken.Add(file); n++)
            {
                file = $"{Path.GetFileNameWithoutExtension(ModelFileName(entry.Name))}-{n}.zip";
            }

            files[entry.Name] = file;
        }

        return files;
    }

    /// <summary>A student's model file name: its name with characters unsafe in file names replaced by <c>_</c>, then <c>.zip</c> (<c>lightgbm_trees=5.zip</c>).</summary>
    /// <param name="student">The student's name.</param>
    /// <returns>The file name.</returns>
    public static string ModelFileName(string student)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(student);
        var name = new StringBuilder(student.Length + 4);
        foreach (char ch in student)
        {
            name.Append(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '-' or '=' or '_' or ',' ? ch : '_');
        }

        return name.Append(".zip").ToString();
    }
}
