using MLNetDistill.Numerics;

namespace MLNetDistill.Students.Mlp;

/// <summary>
/// Options for training an MLP student on a teacher's soft labels: the network's shape, the optimisation and the
/// distillation loss, alpha T^2 KL(teacher || student at T) + (1 - alpha) CE(label, student), plus optional
/// logit-matching, hint and relational terms. Checked when training starts; a bad value throws an
/// <see cref="ArgumentOutOfRangeException"/> naming it and the expected range.
/// </summary>
public sealed class MlpTrainerOptions
{
    /// <summary>The width of each hidden layer, input side first; empty for a linear (softmax regression) student.</summary>
    /// <value>Defaults to a single hidden layer of 256.</value>
    public int[] HiddenLayerSizes { get; set; } = [256];

    /// <summary>The activation after each hidden layer.</summary>
    /// <value>Defaults to <see cref="MlpActivation.ReLU"/>.</value>
    public MlpActivation Activation { get; set; } = MlpActivation.ReLU;

    /// <summary>Whether each hidden layer applies layer norm (eps 1e-5, learned gain and shift) before its activation.</summary>
    /// <value>Defaults to false.</value>
    public bool LayerNorm { get; set; }

    /// <summary>The probability of zeroing each hidden activation while training (inverted dropout), in [0, 1).</summary>
    /// <value>Defaults to 0 (no dropout).</value>
    public float DropoutRate { get; set; }

    /// <summary>
    /// The number of passes over the training rows: a positive N trains at most N epochs (early stopping on the
    /// validation slice may end sooner; cosine decay spans all N); 0 chooses it automatically.
    /// </summary>
    /// <value>
    /// Defaults to 0, automatic: with a validation slice (<see cref="ValidationFraction"/>), the student first trains
    /// on the other rows at a constant learning rate (after any warm-up) and scores the slice against the teacher
    /// after every epoch (KL divergence to the teacher's soft labels); when that score has not improved for
    /// <see cref="EarlyStoppingPatience"/> epochs (at least 300 steps' worth), or the budget is nearly spent, the rate
    /// cools down to 0 along a half cosine over a quarter of the epochs so far (at least 3) and the search ends. The
    /// budget is at least 5,000 optimizer steps and 60 epochs, at most 1,000 epochs. Then the student is trained again,
    /// from the same initialisation, on every row (the slice included) with the schedule the search chose, epoch for
    /// epoch, and that final pass is the model (so automatic training costs about two runs). Without a validation
    /// slice it is a cosine over the budget's epochs. Why: with a fixed 20 epochs at batch 256 (and alpha 0.7) a
    /// 784-128-10 student of 5,000 Fashion-MNIST rows underfit (accuracy 0.834, agreement 0.858); the automatic
    /// schedule reaches 0.870 / 0.897 there, above PyTorch's fixed 40-epoch recipe on the same rows (0.867 / 0.892), and
    /// matched or beat it on accuracy, agreement and log-loss for 32, 128 and 512 hidden units on 5,000 and 60,000 rows
    /// (README, "Neural students"; benchmark <c>mlp-defaults</c>). Measured worse on those rows: early stopping inside a
    /// cosine over the whole budget (it stops while the rate is still high), a constant rate without a cool-down,
    /// choosing by agreement (coarse on a few hundred rows), starting the cool-down from the best weights, and
    /// retraining only up to the search's best epoch instead of through its cool-down; retraining on every row gained
    /// most on small data (1,000 rows, 784-128-10: agreement 0.838 from the search's own model, 0.860 retrained).
    /// </value>
    public int Epochs { get; set; }

    /// <summary>Rows per optimisation step.</summary>
    /// <value>
    /// Defaults to 128: on 5,000 Fashion-MNIST rows with the automatic schedule, 128 beat 256 for 784-32/128/512-10
    /// students by 0.3 to 0.6 points of agreement (twice the steps per epoch for little more time per epoch).
    /// </value>
    public int BatchSize { get; set; } = 128;

    /// <summary>The peak learning rate.</summary>
    /// <value>Defaults to 0.001 (suits AdamW; SGD usually wants about 0.05).</value>
    public float LearningRate { get; set; } = 1e-3f;

    /// <summary>The optimizer.</summary>
    /// <value>Defaults to <see cref="MlpOptimizer.AdamW"/> (beta1 0.9, beta2 0.999, eps 1e-8).</value>
    public MlpOptimizer Optimizer { get; set; } = MlpOptimizer.AdamW;

    /// <summary>
    /// Weight decay on the weight matrices (not biases or layer-norm parameters): decoupled for AdamW, an L2 term in the
    /// gradient for SGD (as PyTorch's optimizers do).
    /// </summary>
    /// <value>Defaults to 0.01 (PyTorch's AdamW default).</value>
    public float WeightDecay { get; set; } = 0.01f;

    /// <summary>SGD's momentum, in [0, 1); ignored by AdamW.</summary>
    /// <value>Defaults to 0.9.</value>
    public float Momentum { get; set; } = 0.9f;

    /// <summary>Whether SGD uses Nesterov momentum; ignored by AdamW.</summary>
    /// <value>Defaults to false.</value>
    public bool Nesterov { get; set; }

    /// <summary>Epochs (fractions allowed) over which the learning rate rises linearly from near 0 to <see cref="LearningRate"/>.</summary>
    /// <value>Defaults to 0 (no warm-up).</value>
    public double WarmupEpochs { get; set; }

    /// <summary>
    /// Whether the learning rate decays along a half cosine to 0: over all epochs after warm-up with an explicit
    /// <see cref="Epochs"/>, over the cool-down of the automatic schedule; otherwise it stays constant (and the automatic
    /// schedule stops on its plateau, keeping its best epoch).
    /// </summary>
    /// <value>Defaults to true.</value>
    public bool CosineDecay { get; set; } = true;

    /// <summary>The seed for initialisation, shuffling, the validation split and dropout. The same seed and data give a bit-identical model.</summary>
    /// <value>Defaults to 0.</value>
    public int Seed { get; set; }

    /// <summary>Whether to shuffle the training rows before each epoch.</summary>
    /// <value>Defaults to true.</value>
    public bool Shuffle { get; set; } = true;

    /// <summary>
    /// The fraction of rows held out (chosen by the seed) to score each epoch against the teacher, for early stopping
    /// and the automatic schedule, in [0, 1). Every row has the teacher's outputs, so unlabeled transfer rows serve too.
    /// </summary>
    /// <value>
    /// Defaults to 0.1; 0 trains on every row, without early stopping. With the automatic schedule the held-out rows
    /// only choose the schedule: the final pass trains on them too.
    /// </value>
    public float ValidationFraction { get; set; } = 0.1f;

    /// <summary>
    /// Stop (or, with the automatic schedule, start the cool-down) after this many epochs without a better validation
    /// score: the KL divergence from the teacher's soft labels (from the teacher's prediction for regression: squared
    /// error), or, for a hard-label student (<see cref="Alpha"/> 0 with labels), the validation loss. 0 never stops early.
    /// </summary>
    /// <value>
    /// Defaults to 5; the automatic schedule waits at least 300 optimizer steps' worth of epochs, as the score of a few
    /// hundred rows is noisy and small data sets have few steps per epoch (on 1,000 rows, 5 epochs are 40 steps).
    /// </value>
    public int EarlyStoppingPatience { get; set; } = 5;

    /// <summary>
    /// Whether, with a validation set and an explicit <see cref="Epochs"/>, the model ends with the weights of its best
    /// validation epoch rather than its last. (The automatic schedule's model is its final pass over every row.)
    /// </summary>
    /// <value>Defaults to true.</value>
    public bool RestoreBestWeights { get; set; } = true;

    /// <summary>The distillation temperature T; the teacher's soft labels must have been computed at the same T.</summary>
    /// <value>
    /// Defaults to 1. Measured on Fashion-MNIST (5,000 transfer rows, CNN teacher, `kd-table` in the benchmarks),
    /// T = 1 beat the hard-label twin on accuracy, agreement and log-loss for 784-256-10 and 784-64-10 students, and
    /// T = 4 or 8 did worse than hard labels; Hinton et al.'s T = 20 was for 60k rows and heavily regularised nets.
    /// </value>
    public float Temperature { get; set; } = 1f;

    /// <summary>The weight alpha of the soft (teacher) term; 1 - alpha weighs cross-entropy with the hard labels. Without hard labels alpha is taken as 1.</summary>
    /// <value>
    /// Defaults to 0.9: with the automatic schedule on 5,000 Fashion-MNIST rows, 0.9 beat 0.7 for a 784-128-10 student
    /// (agreement 0.895 vs 0.890, accuracy 0.868 vs 0.865), as in the PyTorch reference (anchors: T = 1, alpha 0.9).
    /// </value>
    public float Alpha { get; set; } = 0.9f;

    /// <summary>The weight of an extra mean-squared error between student and teacher logits (Ba and Caruana 2014); needs the teacher's logits.</summary>
    /// <value>Defaults to 0 (off).</value>
    public float LogitMatchingWeight { get; set; }

    /// <summary>The weight of a FitNets hint term (Romero et al. 2015) pulling a hidden layer, through a learned projection, towards the teacher's hint tensor.</summary>
    /// <value>Defaults to 0 (off).</value>
    public float HintWeight { get; set; }

    /// <summary>Which hidden layer the hint term guides (0 is the first); -1 is the last hidden layer.</summary>
    /// <value>Defaults to -1.</value>
    public int HintLayer { get; set; } = -1;

    /// <summary>The weight of a relational (RKD distance, Park et al. 2019) term over the batch's logits.</summary>
    /// <value>Defaults to 0 (off).</value>
    public float RelationalWeight { get; set; }

    /// <summary>
    /// How each training batch is changed before the teacher and the student see it. With <see cref="MlpAugmentation.Mixup"/>
    /// (consistent teaching, Beyer et al. 2022, "Knowledge distillation: A good teacher is patient and consistent", CVPR),
    /// every batch is mixed with one λ ~ Beta(<see cref="MixupAlpha"/>, <see cref="MixupAlpha"/>) and a permutation of its
    /// rows, x̃_i = λ x_i + (1 − λ) x_π(i); the teacher (<see cref="MlpStudentOptions.Teacher"/>) scores x̃ on the fly and the
    /// loss is T² KL(softmax(teacher(x̃) / T) || softmax(student(x̃) / T)): function matching, teacher only, so
    /// <see cref="Alpha"/> is taken as 1 and hard labels are not used for training steps (a mixed row has no label).
    /// Validation (early stopping, the automatic schedule) still scores the un-mixed held-out rows against the teacher's
    /// soft labels. Only the KD term is supported with mixup (no logit-matching, hint or relational terms).
    /// <see cref="MlpAugmentation.Shift"/> (alone or with mixup, <c>Mixup | Shift</c>) first translates each row, read as an
    /// image (<see cref="ImageWidth"/>), by up to <see cref="ShiftPixels"/> pixels and mirrors it when
    /// <see cref="HorizontalFlip"/>; the teacher scores the augmented (and then mixed) rows, the same loss, the same rules.
    /// </summary>
    /// <value>Defaults to <see cref="MlpAugmentation.None"/>.</value>
    public MlpAugmentation Augmentation { get; set; }

    /// <summary>
    /// The largest translation of <see cref="MlpAugmentation.Shift"/>, in pixels: each row moves by dx and dy, each a
    /// whole number uniform on [-ShiftPixels, ShiftPixels], with 0 shifted in; 0 with <see cref="HorizontalFlip"/> only
    /// mirrors. Must be less than the image's shorter side (checked when training starts).
    /// </summary>
    /// <value>
    /// Defaults to 2 (±2 pixels on a 28 x 28 image, torchvision's <c>RandomCrop(28, padding=2)</c>); 0 to 64. Measured on
    /// 5,000 Fashion-MNIST rows with the CNN teacher (784-128-10, benchmark <c>consistent-table</c>, one seed, 1,000
    /// epochs): ±1 pixel gave accuracy 0.883 / agreement 0.909, ±2 pixels 0.8825 / 0.9175; with flips and 3,000 epochs,
    /// ±2 gave 0.8885 / 0.9215 over 3 seeds against plain KD's 0.8702 / 0.8972 (README, "consistent teaching").
    /// </value>
    public int ShiftPixels { get; set; } = 2;

    /// <summary>Whether <see cref="MlpAugmentation.Shift"/> also mirrors each image left to right with probability 1/2 (after the shift).</summary>
    /// <value>Defaults to false.</value>
    public bool HorizontalFlip { get; set; }

    /// <summary>
    /// The width in pixels of the grayscale image each row holds (row-major, height = features / width), for
    /// <see cref="MlpAugmentation.Shift"/>; 0 takes a square image (width = height = √features, so 784 features are
    /// 28 x 28), and then the feature count must be a perfect square.
    /// </summary>
    /// <value>Defaults to 0 (a square image).</value>
    public int ImageWidth { get; set; }

    /// <summary>
    /// Whether <see cref="MlpAugmentation.Shift"/> without mixup scores each of the finitely many views of every row
    /// ((2 <see cref="ShiftPixels"/> + 1)², twice that with <see cref="HorizontalFlip"/>) once, in the first epoch, and reads
    /// the teacher's logits back afterwards instead of scoring every batch: the same targets (the teacher's output on
    /// exactly the student's input) for rows x views teacher rows in all rather than rows per epoch, so long schedules
    /// cost the student's time only. It holds rows x views x classes floats and is skipped above 256 MB (scoring on the
    /// fly instead). Mixed rows (<see cref="MlpAugmentation.Mixup"/>, a continuous λ) are always scored on the fly.
    /// </summary>
    /// <value>Defaults to true.</value>
    public bool CacheTeacherViews { get; set; } = true;

    /// <summary>a of the mixup's Beta(a, a): small values mix little most of the time (λ near 0 or 1), 1 mixes uniformly.</summary>
    /// <value>Defaults to 0.2 (Zhang et al. 2018's ImageNet value); must be positive and finite, at most 100.</value>
    public float MixupAlpha { get; set; } = 0.2f;

    /// <summary>
    /// Threads for training; null uses one per processor core, at most 8 (with batches of a few hundred rows, more
    /// threads mostly repeat each other's packing of the batch). Results do not depend on the thread count.
    /// </summary>
    /// <value>Defaults to null.</value>
    public int? NumberOfThreads { get; set; }

    /// <summary>Throws a clear <see cref="ArgumentOutOfRangeException"/> for the first option out of range.</summary>
    internal void Validate()
    {
        if (HiddenLayerSizes is null)
        {
            throw new ArgumentNullException(nameof(HiddenLayerSizes), "HiddenLayerSizes must be a list of layer widths such as [256] (or empty for a linear student), not null.");
        }

        for (int i = 0; i < HiddenLayerSizes.Length; i++)
        {
            if (HiddenLayerSizes[i] <= 0)
            {
                throw Range(nameof(HiddenLayerSizes), HiddenLayerSizes[i], $"Hidden layer sizes must be positive (for example 256) but hidden layer {i} has size {HiddenLayerSizes[i]}.");
            }
        }

        Check(Epochs >= 0, nameof(Epochs), Epochs, "0 (automatic) or a positive number of epochs");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "at least 1 (typically 32 to 1024)");
        Check(LearningRate > 0f && float.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "a positive finite number (typically 1e-4 to 0.1)");
        Check(DropoutRate >= 0f && DropoutRate < 1f, nameof(DropoutRate), DropoutRate, "in [0, 1)");
        Check(WeightDecay >= 0f && float.IsFinite(WeightDecay), nameof(WeightDecay), WeightDecay, "a finite number >= 0 (typically 0 to 0.1)");
        Check(Momentum >= 0f && Momentum < 1f, nameof(Momentum), Momentum, "in [0, 1)");
        Check(WarmupEpochs >= 0 && double.IsFinite(WarmupEpochs), nameof(WarmupEpochs), WarmupEpochs, "a finite number >= 0");
        Check(ValidationFraction >= 0f && ValidationFraction < 1f, nameof(ValidationFraction), ValidationFraction, "in [0, 1)");
        Check(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), EarlyStoppingPatience, "0 (never stop early) or more");
        SoftLabelMath.CheckTemperature(Temperature, nameof(Temperature));
        SoftLabelMath.CheckAlpha(Alpha, nameof(Alpha));
        Check(LogitMatchingWeight >= 0f && float.IsFinite(LogitMatchingWeight), nameof(LogitMatchingWeight), LogitMatchingWeight, "a finite number >= 0");
        Check(HintWeight >= 0f && float.IsFinite(HintWeight), nameof(HintWeight), HintWeight, "a finite number >= 0");
        Check(RelationalWeight >= 0f && float.IsFinite(RelationalWeight), nameof(RelationalWeight), RelationalWeight, "a finite number >= 0");
        Check(HintLayer >= -1 && HintLayer < Math.Max(1, HiddenLayerSizes.Length), nameof(HintLayer), HintLayer,
            HiddenLayerSizes.Length == 0 ? "-1 (a linear student has no hidden layer to guide)" : $"-1 (the last hidden layer) or 0 to {HiddenLayerSizes.Length - 1}");
        if (HintWeight > 0f && HiddenLayerSizes.Length == 0)
        {
            throw Range(nameof(HintWeight), HintWeight, "A hint term needs a hidden layer to guide, but HiddenLayerSizes is empty; set HintWeight to 0 or add a hidden layer.");
        }

        Check((Augmentation & ~(MlpAugmentation.Mixup | MlpAugmentation.Shift)) == 0, nameof(Augmentation), Augmentation, "None, Mixup, Shift or Mixup | Shift");
        Check(MixupAlpha > 0f && MixupAlpha <= 100f, nameof(MixupAlpha), MixupAlpha, "in (0, 100] (typically 0.1 to 1)");
        Check(ShiftPixels >= 0 && ShiftPixels <= 64, nameof(ShiftPixels), ShiftPixels, "0 to 64 pixels (typically 1 to 4)");
        Check(ImageWidth >= 0, nameof(ImageWidth), ImageWidth, "0 (a square image) or the image's width in pixels");
        if (Augmentation.HasFlag(MlpAugmentation.Shift) && ShiftPixels == 0 && !HorizontalFlip)
        {
            throw Range(nameof(ShiftPixels), ShiftPixels, "Augmentation Shift with ShiftPixels 0 and no HorizontalFlip leaves every image as it is; set ShiftPixels to 1 or more (typically 2), set HorizontalFlip, or remove Shift from Augmentation.");
        }

        if (Augmentation != MlpAugmentation.None && (LogitMatchingWeight > 0f || HintWeight > 0f || RelationalWeight > 0f))
        {
            throw Range(nameof(Augmentation), Augmentation, $"{Augmentation} teaches with the KD term only, but LogitMatchingWeight, HintWeight or RelationalWeight is set; set them to 0 or Augmentation to None.");
        }

        if (NumberOfThreads is int threads)
        {
            Check(threads >= 1, nameof(NumberOfThreads), threads, "at least 1, or null for one per core");
        }
    }

    /// <summary>
    /// The image shape <see cref="MlpAugmentation.Shift"/> reads each row as: <see cref="ImageWidth"/> x (features / width),
    /// or a square; throws when the feature count does not fit, or the shift does not fit the image.
    /// </summary>
    /// <param name="features">Features per row.</param>
    /// <returns>The width and height.</returns>
    internal (int Width, int Height) ImageShape(int features)
    {
        int width = ImageWidth;
        if (width == 0)
        {
            width = (int)Math.Round(Math.Sqrt(features));
            if (width * width != features)
            {
                throw Range(nameof(ImageWidth), ImageWidth,
                    $"Augmentation Shift reads each row as an image, and with ImageWidth 0 (a square image) the {features} features must be a perfect square (784 is 28 x 28), but {features} is not; set ImageWidth (spec image=W) to the image's width, a divisor of {features}, or remove Shift from Augmentation.");
            }
        }
        else if (features % width != 0)
        {
            throw Range(nameof(ImageWidth), ImageWidth, $"ImageWidth must divide the {features} features per row (height = features / width) but was {width}; set it to the image's width in pixels, or 0 for a square image.");
        }

        int height = features / width;
        if (ShiftPixels >= Math.Min(width, height))
        {
            throw Range(nameof(ShiftPixels), ShiftPixels, $"ShiftPixels must be less than the {width} x {height} image's shorter side ({Math.Min(width, height)}) but was {ShiftPixels}; typically 1 to 4.");
        }

        return (width, height);
    }

    private static void Check(bool ok, string name, object value, string expected)
    {
        if (!ok)
        {
            throw Range(name, value, $"{name} must be {expected} but was {value}.");
        }
    }

    private static ArgumentOutOfRangeException Range(string name, object value, string message) => new(name, value, message);
}
