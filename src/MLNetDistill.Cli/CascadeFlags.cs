using System.CommandLine;
using System.Globalization;
using MLNetDistill.Experiments;
using MLNetDistill.Serving;

namespace MLNetDistill.Cli;

/// <summary><c>--cascade-target P%</c> and <c>--cascade-max-deferred P%</c>, shared by <c>distill</c> and <c>compare</c>: each student's cascade, its threshold chosen on held-out training rows.</summary>
internal sealed class CascadeFlags
{
    /// <summary>The flag of the quality target.</summary>
    public const string TargetFlag = "--cascade-target";

    /// <summary>The flag of the deferral cap.</summary>
    public const string MaxDeferredFlag = "--cascade-max-deferred";

    private readonly Option<string?> _target = new(TargetFlag)
    {
        Description = "Measure each student's cascade (the student answers, the teacher takes the rows it is least sure of, by top probability): the threshold reaching this share of the teacher's accuracy (of its agreement without labels), e.g. 99% or 0.99, is chosen on " +
            $"{DistillationExperimentOptions.DefaultCascadeHoldoutFraction:P0} of the training rows held out from the students, and the cascade measured on the test rows (REPORT.json/leaderboard.json: cascade, with its curve).",
    };

    private readonly Option<string?> _maxDeferred = new(MaxDeferredFlag)
    {
        Description = $"Instead of {TargetFlag}: the cascade may send at most this share of the rows to the teacher, e.g. 20% or 0.2 (the largest share allowed on the held-out rows is used).",
    };

    /// <summary>Adds both options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_target);
        command.Options.Add(_maxDeferred);
    }

    /// <summary>The target the flags ask for, or <see langword="null"/> when neither is given.</summary>
    /// <exception cref="ArgumentException">Both are given, or a value is not a share.</exception>
    public CascadeTarget? Read(ParseResult parse)
    {
        string? target = parse.GetValue(_target), maxDeferred = parse.GetValue(_maxDeferred);
        if (target is not null && maxDeferred is not null)
        {
            throw new ArgumentException(
                $"{TargetFlag} {target} and {MaxDeferredFlag} {maxDeferred} are both given: the cascade's threshold is chosen one way, give one of them.");
        }

        return target is not null ? new CascadeTarget { TeacherQualityShare = ParseShare(TargetFlag, target, allowZero: false) }
            : maxDeferred is not null ? new CascadeTarget { MaxDeferredShare = ParseShare(MaxDeferredFlag, maxDeferred, allowZero: true) }
            : null;
    }

    /// <summary>
    /// A share given as a percentage (<c>99%</c>, <c>98.5 %</c>) or a fraction (<c>0.99</c>): a number without '%' is a fraction
    /// when at most 1, a percentage above 1 (<c>99</c> is 99 %). The share must be in (0, 1], or [0, 1] when
    /// <paramref name="allowZero"/>.
    /// </summary>
    internal static double ParseShare(string flag, string text, bool allowZero)
    {
        string trimmed = text.Trim();
        bool percent = trimmed.EndsWith('%');
        string number = percent ? trimmed[..^1].Trim() : trimmed;
        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value))
        {
            double share = percent || value > 1 ? value / 100 : value;
            if ((allowZero ? share >= 0 : share > 0) && share <= 1)
            {
                return share;
            }
        }

        string example = flag == TargetFlag ? $"{TargetFlag} 99% (or 0.99): the cascade reaches 99 % of the teacher's accuracy" : $"{MaxDeferredFlag} 20% (or 0.2): at most a fifth of the rows go to the teacher";
        throw new ArgumentException($"{flag} {text} is not a share of {(allowZero ? "0" : "more than 0")} to 100 %: give e.g. {example}.");
    }
}
