using System.Globalization;

namespace MLNetDistill.Students;

/// <summary>
/// A parsed student spec string such as <c>lightgbm:trees=200,leaves=31</c> or <c>mlp:256,64:epochs=20</c>; every
/// front end (CLI, experiments, notebooks) parses specs here, through the registry of families.
/// </summary>
/// <param name="Family">The family name (<c>lightgbm</c>, <c>fasttree</c>, <c>sdca</c>, <c>lbfgs</c>, <c>mlp</c>).</param>
/// <param name="HiddenLayers">For <c>mlp</c>, the hidden layer widths.</param>
/// <param name="Options">The family's options, each checked against its range, defaults filled in.</param>
public sealed record StudentSpec(string Family, IReadOnlyList<int> HiddenLayers, IReadOnlyDictionary<string, double> Options)
{
    private static readonly Dictionary<string, (double Default, double Min, double Max, string Meaning)[]> Families = new()
    {
        ["lightgbm"] = [(200, 1, 100_000, "trees"), (31, 2, 131_072, "leaves"), (0.1, 1e-6, 1, "lr")],
        ["fasttree"] = [(100, 1, 100_000, "trees"), (20, 2, 131_072, "leaves")],
        ["sdca"] = [(20, 1, 10_000, "iterations")],
        ["lbfgs"] = [(100, 1, 100_000, "iterations")],
        // mlp: epochs 0 (the default, not a value to type) = automatic (MlpTrainerOptions.Epochs); an explicit count is 1 or more.
        ["mlp"] = [(0, 1, 100_000, "epochs"), (1e-3, 1e-7, 10, "lr"), (128, 1, 1_000_000, "batch")],
        ["logits"] = [(100, 1, 100_000, "trees"), (20, 2, 131_072, "leaves")],
    };

    /// <summary>Gets the names of the families.</summary>
    public static IReadOnlyCollection<string> FamilyNames => Families.Keys;

    /// <summary>Gets whether the student is a neural network trained with the distillation loss (else an ML.NET trainer on soft labels).</summary>
    public bool IsNeural => Family == "mlp";

    /// <summary>Gets the MLP loss named by <c>loss=kd|mse|hint|rkd</c> (default kd).</summary>
    public string Loss { get; init; } = "kd";

    /// <summary>Gets an option's value.</summary>
    /// <param name="name">The option name.</param>
    /// <returns>The value (the default when the spec did not set it).</returns>
    public double this[string name] => Options[name];

    /// <summary>Parses a spec, with errors that list the families and their options with defaults and ranges.</summary>
    /// <param name="spec">The spec text.</param>
    /// <returns>The spec.</returns>
    public static StudentSpec Parse(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        string[] parts = spec.Trim().Split(':');
        string family = parts[0].Trim().ToLowerInvariant();
        if (!Families.TryGetValue(family, out var known))
        {
            throw new ArgumentException($"Unknown student '{parts[0]}'. Students: {Describe()}.");
        }

        var hidden = new List<int>();
        int optionPart = 1;
        if (family == "mlp")
        {
            if (parts.Length < 2 || parts[1].Contains('='))
            {
                throw new ArgumentException($"An mlp student needs its hidden layer widths, e.g. mlp:256 or mlp:256,64[:epochs=40,lr=0.001,batch=128,loss=kd|mse|hint|rkd] (no epochs: chosen automatically).");
            }

            foreach (string width in parts[1].Split(','))
            {
                if (!int.TryParse(width, NumberStyles.Integer, CultureInfo.InvariantCulture, out int w) || w <= 0)
                {
                    throw new ArgumentOutOfRangeException(nameof(spec), width, $"Hidden layer width '{width}' in '{spec}' must be a positive whole number.");
                }

                hidden.Add(w);
            }

            optionPart = 2;
        }
        else if (family == "logits")
        {
            if (parts.Length < 2 || parts[1].Trim().ToLowerInvariant() != "fasttree")
            {
                throw new ArgumentException($"Logit matching is spelled logits:fasttree[:trees=N,leaves=N] (one FastTree regression per class fitted to the teacher's logits).");
            }

            optionPart = 2;
        }

        var options = known.ToDictionary(o => o.Meaning, o => o.Default);
        string loss = "kd";
        for (int p = optionPart; p < parts.Length; p++)
        {
            foreach (string pair in parts[p].Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] kv = pair.Split('=', 2);
                string key = kv[0].Trim().ToLowerInvariant();
                if (family == "mlp" && key == "loss" && kv.Length == 2)
                {
                    loss = kv[1].Trim().ToLowerInvariant();
                    if (loss is not ("kd" or "mse" or "hint" or "rkd"))
                    {
                        throw new ArgumentException($"Unknown loss '{kv[1]}' in '{spec}': use kd, mse, hint or rkd.");
                    }

                    continue;
                }

                var option = known.FirstOrDefault(o => o.Meaning == key);
                if (option.Meaning is null || kv.Length != 2)
                {
                    throw new ArgumentException($"'{pair}' is not an option of {family}. {family} takes: {DescribeOptions(known)}{(family == "mlp" ? ", loss=kd|mse|hint|rkd" : "")}.");
                }

                if (!double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < option.Min || value > option.Max || double.IsNaN(value))
                {
                    throw new ArgumentOutOfRangeException(nameof(spec), kv[1], $"{family} option {key}={kv[1]} is out of range: it takes a number from {option.Min.ToString(CultureInfo.InvariantCulture)} to {option.Max.ToString(CultureInfo.InvariantCulture)} (default {option.Default.ToString(CultureInfo.InvariantCulture)}).");
                }

                options[key] = value;
            }
        }

        return new StudentSpec(family, hidden, options) { Loss = loss };
    }

    /// <summary>Describes the families and their options, e.g. for help text.</summary>
    /// <returns>The description.</returns>
    public static string Describe() => string.Join("; ", Families.Select(f => f.Key + (f.Key == "mlp" ? ":H1,H2" : f.Key == "logits" ? ":fasttree" : "") + "[:" + DescribeOptions(f.Value) + "]"));

    /// <inheritdoc/>
    public override string ToString() =>
        Family + (HiddenLayers.Count > 0 ? ":" + string.Join(",", HiddenLayers) : "") + (Family == "logits" ? ":fasttree" : "") + ":" + string.Join(",", Options.Select(o => $"{o.Key}={o.Value.ToString(CultureInfo.InvariantCulture)}")) + (IsNeural ? ",loss=" + Loss : "");

    private static string DescribeOptions((double Default, double Min, double Max, string Meaning)[] options) =>
        string.Join(",", options.Select(o => $"{o.Meaning}=N ({o.Min.ToString(CultureInfo.InvariantCulture)}..{o.Max.ToString(CultureInfo.InvariantCulture)}, default {o.Default.ToString(CultureInfo.InvariantCulture)})"));
}
