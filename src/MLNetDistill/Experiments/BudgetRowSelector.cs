using MLNetDistill.Numerics;

namespace MLNetDistill.Experiments;

/// <summary>The selection strategies of budgeted labeling over the student's probabilities of the pool rows (row-major, K a row).</summary>
internal static class BudgetRowSelector
{
    /// <summary>
    /// Picks <paramref name="count"/> rows not yet bought, least sure first (margin: smallest; entropy: largest; diverse: k-center
    /// greedy within the smallest-margin candidates). Ties go to the lower position, so the choice is deterministic.
    /// </summary>
    /// <param name="probabilities">The student's probabilities of every pool row, <paramref name="classes"/> a row.</param>
    /// <param name="classes">K.</param>
    /// <param name="bought">Which pool rows are bought already (never picked again).</param>
    /// <param name="count">Rows to pick, at most the rows not bought.</param>
    /// <param name="selection">Margin, Entropy or Diverse (Random is picked from a permutation by the caller).</param>
    /// <param name="diverseCandidates">For Diverse: the candidates are this many times <paramref name="count"/>.</param>
    /// <returns>The pool positions picked, in the order picked.</returns>
    public static int[] Select(ReadOnlySpan<float> probabilities, int classes, ReadOnlySpan<bool> bought, int count, BudgetSelection selection, int diverseCandidates)
    {
        int rows = bought.Length;
        int open = 0;
        foreach (bool b in bought)
        {
            open += b ? 0 : 1;
        }

        var positions = new int[open];
        var keys = new double[open];
        int next = 0;
        for (int i = 0; i < rows; i++)
        {
            if (bought[i])
            {
                continue;
            }

            var p = probabilities.Slice(i * classes, classes);
            double key = selection == BudgetSelection.Entropy ? -SoftLabelMath.Entropy(p) : SoftLabelMath.Margin(p);
            positions[next] = i;
            keys[next++] = double.IsNaN(key) ? double.NegativeInfinity : key; // a row the student cannot score is the least sure
        }

        // Stable order: by key, then by position (Array.Sort is not stable, so the position breaks ties explicitly).
        var order = new int[open];
        for (int i = 0; i < open; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : positions[a].CompareTo(positions[b]));
        count = Math.Min(count, open);
        if (selection != BudgetSelection.Diverse)
        {
            var picked = new int[count];
            for (int i = 0; i < count; i++)
            {
                picked[i] = positions[order[i]];
            }

            return picked;
        }

        int candidates = (int)Math.Min((long)count * diverseCandidates, open);
        var pool = new int[candidates];
        for (int i = 0; i < candidates; i++)
        {
            pool[i] = positions[order[i]];
        }

        return KCenterGreedy(probabilities, classes, pool, count);
    }

    /// <summary>
    /// Farthest-first traversal: starts at the first candidate (the least sure), then repeatedly adds the candidate whose
    /// squared distance (in probability space) to the nearest row picked so far is largest; ties go to the earlier (less sure) candidate.
    /// </summary>
    internal static int[] KCenterGreedy(ReadOnlySpan<float> probabilities, int classes, int[] candidates, int count)
    {
        count = Math.Min(count, candidates.Length);
        var picked = new int[count];
        if (count == 0)
        {
            return picked;
        }

        var nearest = new double[candidates.Length];
        Array.Fill(nearest, double.PositiveInfinity);
        var taken = new bool[candidates.Length];
        int current = 0;
        for (int k = 0; k < count; k++)
        {
            picked[k] = candidates[current];
            taken[current] = true;
            var center = probabilities.Slice(candidates[current] * classes, classes);
            int farthest = -1;
            double best = double.NegativeInfinity;
            for (int c = 0; c < candidates.Length; c++)
            {
                if (taken[c])
                {
                    continue;
                }

                var row = probabilities.Slice(candidates[c] * classes, classes);
                double d = 0;
                for (int j = 0; j < classes; j++)
                {
                    double diff = row[j] - center[j];
                    d += diff * diff;
                }

                if (d < nearest[c])
                {
                    nearest[c] = d;
                }

                if (nearest[c] > best)
                {
                    best = nearest[c];
                    farthest = c;
                }
            }

            current = farthest;
            if (current < 0)
            {
                break;
            }
        }

        return picked;
    }
}
