using System.Globalization;

namespace MLNetDistill.Students;

/// <summary>
/// A parsed student spec string such as <c>lightgbm:trees=200,leaves=31</c> or <c>mlp:256,64:epochs=20</c>; every
/// front end (CLI, experiments, notebooks) parses specs here, through the registry of families.
/// </summary>
/// <param name="Family">The family name (<c>lightgbm</c>, <c>fasttree</c>, <c>sdca</c>, <c>lbfgs</c>, <c>mlp</c>, <c>logits</c>).</param>
/// <param name="HiddenLayers">For <c>mlp</c>, the hidden layer widths.</param>
/// <param name="Options">The family's options, each checked against its range, defaults filled in.</param>
/// <example>
/// <code language="csharp">
/// var spec = StudentSpec.Parse("mlp:256,64:epochs=30,loss=mse");
/// Console.WriteLine(spec);            // mlp:256,64:epochs=30,lr=0.001,batch=256,loss=mse
/// Console.WriteLine(spec["batch"]);   // 256 (the default)
/// </code>
/// </example>
public sealed record StudentSpec(string Family, IReadOnlyList<int> HiddenLayers, IReadOnlyDictionary<string, double> Options)
{
    /// <summary>Gets the names of the families.</summary>
    public static IReadOnlyCollection<string> FamilyNames => [.. StudentRegistry.Families.Select(f => f.Name)];

    /// <summary>Gets whether the student is a neural network trained with the distillation loss (else an ML.NET trainer on soft labels).</summary>
    public bool IsNeural => StudentRegistry.Get(this).IsNeural;

    /// <summary>Gets the family's text options (such as an MLP's <c>loss</c>), defaults filled in.</summary>
    public IReadOnlyDictionary<string, string> Choices { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Gets the text featurization of a text student (<c>text=word2,char3</c> in the spec): the student reads a text column and
    /// featurizes it with ML.NET's <c>FeaturizeText</c> inside its own model; <see langword="null"/> for a student of numeric
    /// features (which becomes a text student with <see cref="TextFeaturization.Default"/> when the experiment names a text column).
    /// </summary>
    public TextFeaturization? Text { get; init; }

    /// <summary>Gets the MLP loss named by <c>loss=kd|mse|hint|rkd</c> (default kd).</summary>
    public string Loss => Choices.TryGetValue("loss", out string? loss) ? loss : "kd";

    /// <summary>Gets the weight of the soft labels this family uses when none is given: 0.5 for ML.NET students, the MLP trainer's default (<see cref="Mlp.MlpTrainerOptions.Alpha"/>) for MLPs.</summary>
    public float DefaultAlpha => StudentRegistry.Get(this).DefaultAlpha;

    /// <summary>Gets whether the soft labels' temperature changes what this student learns (not for logit matching, which fits the raw logits).</summary>
    internal bool UsesTemperature => StudentRegistry.Get(this).UsesTemperature;

    /// <summary>Gets whether alpha changes what this student learns (not for logit matching, which has no hard-label term).</summary>
    internal bool UsesAlpha => StudentRegistry.Get(this).UsesAlpha;

    /// <summary>Gets whether the student trains on the teacher's penultimate layer (an MLP with <c>loss=hint</c>).</summary>
    public bool NeedsTeacherHint => StudentRegistry.Get(this).NeedsTeacherHint(this);

    /// <summary>Gets whether the student needs the live teacher during training (an MLP with <c>augment=mixup</c> is taught on the fly).</summary>
    internal bool NeedsLiveTeacher => StudentRegistry.Get(this).NeedsLiveTeacher(this);

    /// <summary>Gets an option's value.</summary>
    /// <param name="name">The option name.</param>
    /// <returns>The value (the default when the spec did not set it).</returns>
    public double this[string name] => Options[name];

    /// <summary>Parses a spec, with errors that list the families and their options with defaults and ranges.</summary>
    /// <param name="spec">The spec text.</param>
    /// <returns>The spec.</returns>
    /// <exception cref="ArgumentException">The family, an option or a value is unknown or out of range; the message lists what is allowed.</exception>
    public static StudentSpec Parse(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        string[] parts = spec.Trim().Split(':');
        string name = parts[0].Trim().ToLowerInvariant();
        if (!StudentRegistry.TryGet(name, out var family))
        {
            throw new ArgumentException($"Unknown student '{parts[0]}'. Students: {Describe()}.", nameof(spec));
        }

        var hidden = new List<int>();
        int optionPart = family.ParseArguments(parts, spec, hidden);
        var options = family.Options.ToDictionary(o => o.Name, o => o.Default);
        var choices = family.Choices.ToDictionary(c => c.Name, c => c.Default);
        TextFeaturization? text = null;
        for (int p = optionPart; p < parts.Length; p++)
        {
            string[] pairs = parts[p].Split(',', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < pairs.Length; i++)
            {
                string pair = pairs[i];
                string[] kv = pair.Split('=', 2);
                string key = kv[0].Trim().ToLowerInvariant();
                if (kv.Length == 2 && key == TextFeaturization.OptionName)
                {
                    // text=word2,char3: the parts after it without '=' continue the setting, and so does chars=N.
                    string setting = kv[1];
                    while (i + 1 < pairs.Length && TextFeaturization.IsPart(pairs[i + 1]))
                    {
                        setting += "," + pairs[++i];
                    }

                    text = TextFeaturization.Parse(setting);
                    continue;
                }

                if (kv.Length == 2 && family.Choices.FirstOrDefault(c => c.Name == key) is { } choice)
                {
                    string value = kv[1].Trim().ToLowerInvariant();
                    if (!choice.Values.Contains(value))
                    {
                        throw new ArgumentException($"Unknown {key} '{kv[1]}' in '{spec}': use {choice.Sentence()}.", nameof(spec));
                    }

                    choices[key] = value;
                    continue;
                }

                var option = family.Options.FirstOrDefault(o => o.Name == key);
                if (option is null || kv.Length != 2)
                {
                    throw new ArgumentException($"'{pair}' is not an option of {family.Name}. {family.Name} takes: {DescribeOptions(family)}{(family.IsTextCapable ? " (and text=wordN,charN[,chars=N] for a text column)" : "")}.", nameof(spec));
                }

                if (option.IsAutomatic(kv[1]))
                {
                    options[key] = option.Default;
                    continue;
                }

                if (!double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double number) || !option.InRange(number))
                {
                    throw new ArgumentOutOfRangeException(nameof(spec), kv[1],
                        $"{family.Name} option {key}={kv[1]} is out of range: it takes a number {option.RangeText()}{(option.Automatic is { } word ? $" or {word}" : "")} (default {option.Format(option.Default)}).");
                }

                options[key] = number;
            }
        }

        return new StudentSpec(family.Name, hidden, options) { Choices = choices, Text = text };
    }

    /// <summary>Describes the families and their options, e.g. for help text.</summary>
    /// <returns>The description.</returns>
    public static string Describe() => string.Join("; ", StudentRegistry.Families.Select(f => f.Usage + "[:" + DescribeOptions(f) + "]"))
        + "; any of them reads a text column with text=wordN,charN[,chars=N] (FeaturizeText word n-grams up to N and character N-grams, of the first N characters with chars=N, e.g. sdca:text=word2,char3 or sdca:text=word1,chars=2000)";

    /// <inheritdoc/>
    public override string ToString() =>
        Family + StudentRegistry.Get(this).FormatArguments(this) + ":" + string.Join(",", Options
            .Where(o => !(Option(o.Key).OmitWhenDefault && o.Value == Option(o.Key).Default))
            .Select(o => $"{o.Key}={Option(o.Key).Format(o.Value)}"))
        + string.Concat(Choices
            .Where(c => !(StudentRegistry.Get(this).Choices.First(x => x.Name == c.Key) is { OmitWhenDefault: true } choice && c.Value == choice.Default))
            .Select(c => $",{c.Key}={c.Value}"))
        + (Text is { } text ? $",{TextFeaturization.OptionName}={text}" : "");

    private StudentOption Option(string name) => StudentRegistry.Get(this).Options.First(o => o.Name == name);

    /// <summary>Whether two specs name the same student (family, layers, every option).</summary>
    /// <param name="other">The other spec.</param>
    /// <returns>Whether they are equal.</returns>
    public bool Equals(StudentSpec? other) => other is not null && ToString() == other.ToString();

    /// <inheritdoc/>
    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    private static string DescribeOptions(IStudentFamily family) =>
        string.Join(",", family.Options.Select(o => o.ToString()).Concat(family.Choices.Select(c => c.ToString())));
}
