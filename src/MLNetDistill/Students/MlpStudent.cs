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
/// </summary>
internal sealed class MlpStudent : IStudentFamily
{
    private const string Loss = "loss";
    private const string Augment = "augment";
    private const string MixupA = "a";

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
    ];

    public IReadOnlyList<StudentChoice> Choices { get; } = [new(Loss, ["kd", "mse", "hint", "rkd"]), new(Augment, ["none", "mixup"]) { OmitWhenDefault = true }];

    /// <summary>A float as the double it reads as (0.001f as 0.001, not 0.0010000000474974513), for specs and reports.</summary>
    private static double Decimal(float value) => double.Parse(value.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public int ParseArguments(string[] parts, string spec, List<int> hiddenLayers)
    {
        if (parts.Length < 2 || parts[1].Contains('='))
        {
            throw new ArgumentException($"An mlp student needs its hidden layer widths, e.g. mlp:256 or mlp:256,64[:epochs=auto|N,lr=0.001,batch=128,loss=kd|mse|hint|rkd,augment=none|mixup,a=0.2]; '{spec}' has none.", nameof(spec));
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

    public bool NeedsLiveTeacher(StudentSpec spec) => spec.Choices[Augment] == "mixup";

    public StudentTrainers Build(StudentSpec spec, StudentBuildContext context)
    {
        var trainers = context.MLContext.MulticlassClassification.Trainers;
        return new StudentTrainers(trainers.DistillMlp(TrainerOptions(spec, context, hardLabels: false)), trainers.DistillMlp(TrainerOptions(spec, context, hardLabels: true)));
    }

    private static MlpStudentOptions TrainerOptions(StudentSpec spec, StudentBuildContext context, bool hardLabels)
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
        if (hardLabels)
        {
            return options;
        }

        if (spec.Choices[Augment] == "mixup")
        {
            if (spec.Choices[Loss] != "kd")
            {
                throw new ArgumentException($"Student '{spec}' is taught on the fly (augment=mixup), which uses the KD loss only, but asks for loss={spec.Choices[Loss]}: use loss=kd or augment=none.");
            }

            options.Teacher = context.Teacher
                ?? throw new ArgumentException($"Student '{spec}' is taught on the fly (augment=mixup): the teacher scores every mixed batch, and soft labels from a cache cannot label new inputs. Give the teacher model.");
            network.Augmentation = MlpAugmentation.Mixup;
            network.MixupAlpha = (float)spec[MixupA];
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
}
