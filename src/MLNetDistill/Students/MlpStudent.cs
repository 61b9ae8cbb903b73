using System.Globalization;
using MLNetDistill.Students.Mlp;

namespace MLNetDistill.Students;

/// <summary>
/// <c>mlp:H1,H2[:epochs=auto|N,lr=X,batch=N,loss=kd|mse|hint|rkd]</c>: a small MLP trained with the distillation loss
/// (<c>kd</c>; <c>mse</c> adds logit matching, <c>hint</c> a FitNets hint on the teacher's penultimate layer, <c>rkd</c>
/// relational distances); its hard-label twin is the same network trained with alpha = 0 and no teacher terms.
/// <c>augment=mixup[,a=0.2]</c> (options, e.g. <c>mlp:128:augment=mixup,a=0.2,epochs=300</c>) teaches consistently:
/// every batch is mixed (one λ ~ Beta(a, a) per batch) and the live teacher scores the mixed rows on the fly
/// (<see cref="MlpTrainerOptions.Augmentation"/>); it needs the teacher's model, not only a cache, and the KD loss. The
/// hard-label twin is not augmented (mixed rows have no label; it is the plain hard-label baseline).
/// <c>augment=shift</c> and <c>augment=mixup+shift</c> (e.g. <c>mlp:128:augment=mixup+shift,shift=2,flip=1</c>) add
/// consistent image augmentation before any mixing: each row, read as a grayscale image (square unless
/// <c>image=W</c> gives its width), moves by up to <c>shift=N</c> pixels (default 2) each way, and with <c>flip=1</c> is
/// mirrored with probability 1/2 (<see cref="MlpAugmentation.Shift"/>); the teacher scores the augmented rows on the fly.
/// <c>shift</c>, <c>flip</c> and <c>image</c> need an augment with shift.
/// <c>patience=auto|N</c> is the early-stopping patience in epochs (0 to 10,000; 0 never stops early). <c>auto</c> (the
/// default) is the trainer's 5 epochs, except for an explicit <c>epochs=N</c> with an augment: augmented views need a
/// patient schedule (Beyer et al. 2022), so that student runs its whole cosine over N epochs, keeping its best
/// validation epoch, as the benchmark <c>consistent-table</c> measured it (with patience 5, a 1,000-epoch shift + flip
/// student stopped at epoch 84 below plain KD). The hard-label twin is not augmented and keeps the trainer's patience
/// unless <c>patience=N</c> is given.
/// </summary>
internal sealed class MlpStudent : IStudentFamily
{
    private const string Loss = "loss";
    private const string Augment = "augment";
    private const string MixupA = "a";
    private const string ShiftKey = "shift";
    private const string FlipKey = "flip";
    private const string ImageKey = "image";
    private const string PatienceKey = "patience";

    /// <summary>The spec's word for "the schedule chooses the patience", stored as this value (outside the range).</summary>
    private const double AutomaticPatience = -1;

    public string Name => "mlp";

    public string Usage => $"{Name}:H1,H2";

    public bool IsNeural => true;

    /// <summary>The MLP trainer's own defaults: a spec leaves what it does not set to them.</summary>
    private static readonly MlpTrainerOptions Library = new();

    public float DefaultAlpha => Library.Alpha;

    public IReadOnlyList<StudentOption> Options { get; } =
    [
        // No epochs: the library's automatic schedule (early stopping on the teacher's KL over a held-out slice).
        new("epochs", Library.Epochs, 1, 100_000, Automatic: "auto"),
        new("lr", Decimal(Library.LearningRate), 1e-7, 10),
        new("batch", Library.BatchSize, 1, 1_000_000),
        new(MixupA, Decimal(Library.MixupAlpha), 0, 100) { ExclusiveMin = true, OmitWhenDefault = true },
        new(ShiftKey, Library.ShiftPixels, 0, 64) { OmitWhenDefault = true },
        new(FlipKey, 0, 0, 1) { OmitWhenDefault = true },
        // image=auto: a square image (784 features are 28 x 28); image=W: W pixels wide.
        new(ImageKey, 0, 1, 100_000, Automatic: "auto") { OmitWhenDefault = true },
        // patience=auto: the trainer's 5 epochs, or none (the whole budget) for an explicit epochs=N with an augment.
        new(PatienceKey, AutomaticPatience, 0, 10_000, Automatic: "auto") { OmitWhenDefault = true },
    ];

    public IReadOnlyList<StudentChoice> Choices { get; } = [new(Loss, ["kd", "mse", "hint", "rkd"]), new(Augment, ["none", "mixup", "shift", "mixup+shift"]) { OmitWhenDefault = true }];

    /// <summary>A float as the double it reads as (0.001f as 0.001, not 0.0010000000474974513), for specs and reports.</summary>
    private static double Decimal(float value) => double.Parse(value.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public int ParseArguments(string[] parts, string spec, List<int> hiddenLayers)
    {
        if (parts.Length < 2 || parts[1].Contains('='))
        {
            throw new ArgumentException($"An mlp student needs its hidden layer widths, e.g. mlp:256 or mlp:256,64[:epochs=auto|N,lr=0.001,batch=128,patience=auto|N,loss=kd|mse|hint|rkd,augment=none|mixup|shift|mixup+shift,a=0.2,shift=2,flip=0|1,image=auto|W]; '{spec}' has none.", nameof(spec));
        }

        foreach (string width in parts[1].Split(','))
        {
            if (!int.TryParse(width, NumberStyles.Integer, CultureInfo.InvariantCulture, out int w) || w <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(spec), width, $"Hidden layer width '{width}' in '{spec}' must be a positive whole number.");
            }

            hiddenLayers.Add(w);
        }

        return 2;
    }

    public string FormatArguments(StudentSpec spec) => ":" + string.Join(",", spec.HiddenLayers);

    public bool NeedsTeacherHint(StudentSpec spec) => spec.Choices[Loss] == "hint";

    public bool NeedsLiveTeacher(StudentSpec spec) => spec.Choices[Augment] != "none";

    public StudentTrainers Build(StudentSpec spec, StudentBuildContext context)
    {
        var trainers = context.MLContext.MulticlassClassification.Trainers;
        return new StudentTrainers(trainers.DistillMlp(TrainerOptions(spec, context, hardLabels: false)), trainers.DistillMlp(TrainerOptions(spec, context, hardLabels: true)));
    }

    /// <summary>The options of the student (or, with <paramref name="hardLabels"/>, of its hard-label twin) a spec describes.</summary>
    internal MlpStudentOptions TrainerOptions(StudentSpec spec, StudentBuildContext context, bool hardLabels)
    {
        var options = new MlpStudentOptions { Progress = context.EpochProgress, CancellationToken = context.CancellationToken };
        var network = options.Network;
        network.HiddenLayerSizes = [.. spec.HiddenLayers];
        network.Epochs = (int)spec["epochs"];
        network.LearningRate = (float)spec["lr"];
        network.BatchSize = (int)spec["batch"];
        network.Seed = context.Seed;
        network.Temperature = context.Temperature;
        network.Alpha = hardLabels ? 0f : context.Alpha;
        string augment = spec.Choices[Augment];
        network.EarlyStoppingPatience = Patience(spec, augmented: !hardLabels && augment != "none");
        if (hardLabels)
        {
            return options;
        }

        bool shifts = augment.Contains("shift", StringComparison.Ordinal);
        if (!shifts)
        {
            foreach (string key in (ReadOnlySpan<string>)[ShiftKey, FlipKey, ImageKey])
            {
                var option = Options.First(o => o.Name == key);
                if (spec[key] != option.Default)
                {
                    throw new ArgumentException($"Student '{spec}' sets {key}={option.Format(spec[key])}, an image augmentation option, but augment={augment} does not shift images: use augment=shift or augment=mixup+shift, or leave {key} out.", nameof(spec));
                }
            }
        }

        if (augment != "none")
        {
            if (spec.Choices[Loss] != "kd")
            {
                throw new ArgumentException($"Student '{spec}' is taught on the fly (augment={augment}), which uses the KD loss only, but asks for loss={spec.Choices[Loss]}: use loss=kd or augment=none.");
            }

            options.Teacher = context.Teacher
                ?? throw new ArgumentException($"Student '{spec}' is taught on the fly (augment={augment}): the teacher scores every augmented batch, and soft labels from a cache cannot label new inputs. Give the teacher model.");
            network.Augmentation = (augment.Contains("mixup", StringComparison.Ordinal) ? MlpAugmentation.Mixup : MlpAugmentation.None)
                | (shifts ? MlpAugmentation.Shift : MlpAugmentation.None);
            network.MixupAlpha = (float)spec[MixupA];
            if (shifts)
            {
                double width = spec[ImageKey];
                if (width != Math.Floor(width))
                {
                    throw new ArgumentOutOfRangeException(nameof(spec), width, $"Student '{spec}' sets image={width.ToString(CultureInfo.InvariantCulture)}, but the image width is a whole number of pixels (e.g. image=28), or auto for a square image.");
                }

                if (spec[ShiftKey] != Math.Floor(spec[ShiftKey]) || spec[FlipKey] is not (0 or 1))
                {
                    throw new ArgumentOutOfRangeException(nameof(spec), spec[ShiftKey], $"Student '{spec}' needs shift=N, a whole number of pixels from 0 to 64 (e.g. shift=2), and flip=0 or flip=1.");
                }

                network.ShiftPixels = (int)spec[ShiftKey];
                network.HorizontalFlip = spec[FlipKey] == 1;
                network.ImageWidth = (int)width;
            }
        }

        switch (spec.Choices[Loss])
        {
            case "mse":
                network.LogitMatchingWeight = 1f;
                break;
            case "rkd":
                network.RelationalWeight = 1f;
                break;
            case "hint":
                options.HintColumnName = context.HintColumnName
                    ?? throw new ArgumentException($"Student '{spec}' trains on the teacher's penultimate layer (loss=hint), but the teacher exposes no hint column: give the experiment the teacher's ONNX model.");
                network.HintWeight = 1f;
                break;
        }

        return options;
    }

    /// <summary>
    /// The early-stopping patience a spec asks for: <c>patience=N</c> as given; <c>auto</c> is the trainer's default,
    /// or 0 (no early stopping: the whole cosine over the budget) for an explicit <c>epochs=N</c> with augmentation.
    /// </summary>
    private static int Patience(StudentSpec spec, bool augmented)
    {
        double patience = spec[PatienceKey];
        if (patience == AutomaticPatience)
        {
            bool explicitEpochs = spec["epochs"] != Library.Epochs;
            return augmented && explicitEpochs ? 0 : Library.EarlyStoppingPatience;
        }

        if (patience != Math.Floor(patience))
        {
            throw new ArgumentOutOfRangeException(nameof(spec), patience,
                $"Student '{spec}' sets patience={patience.ToString(CultureInfo.InvariantCulture)}, but the patience is a whole number of epochs from 0 to 10000 (0 never stops early), or auto.");
        }

        return (int)patience;
    }
}
