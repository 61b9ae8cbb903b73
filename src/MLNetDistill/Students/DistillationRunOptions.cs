namespace MLNetDistill.Students;

/// <summary>Inputs of <see cref="DistillationRun"/> (the options of <c>mlnet-distill distill</c>).</summary>
public sealed class DistillationRunOptions
{
    /// <summary>Gets or sets the teacher's .onnx file.</summary>
    /// <value>Required unless <see cref="SoftLabelsCache"/> is given and there is no test or transfer data.</value>
    public string? Teacher { get; set; }

    /// <summary>Gets or sets the labeled training data (CSV, Parquet or IDX).</summary>
    /// <value>Required.</value>
    public string Train { get; set; } = "";

    /// <summary>Gets or sets the evaluation data.</summary>
    /// <value>Defaults to <see langword="null"/>: 20% of the training rows are held out (seeded).</value>
    public string? Test { get; set; }

    /// <summary>Gets or sets the label column of CSV or Parquet files.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? Label { get; set; }

    /// <summary>Gets or sets the student spec (see <see cref="StudentSpec"/>).</summary>
    /// <value>Defaults to <c>lightgbm</c>.</value>
    public string Student { get; set; } = "lightgbm";

    /// <summary>Gets or sets the temperature.</summary>
    /// <value>Defaults to <see langword="null"/>: 1 for every student kind (the measured best; see README).</value>
    public float? Temperature { get; set; }

    /// <summary>Gets or sets alpha, the weight of the soft labels.</summary>
    /// <value>Defaults to <see langword="null"/>: 0.5 for ML.NET students, 0.7 for MLPs.</value>
    public float? Alpha { get; set; }

    /// <summary>Gets or sets unlabeled rows for the teacher to label (a label column there is ignored).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? Transfer { get; set; }

    /// <summary>Gets or sets a teacher cache (file, folder or glob of shards) made from <see cref="Train"/>, used instead of running the teacher on it.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public string? SoftLabelsCache { get; set; }

    /// <summary>Gets or sets whether to also train the same spec on hard labels only.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool Baseline { get; set; }

    /// <summary>Gets or sets the seed: the same inputs and seed give the same model and report (timings aside).</summary>
    /// <value>Defaults to 0.</value>
    public int Seed { get; set; }

    /// <summary>Gets or sets the student model to write: <c>.zip</c> (ML.NET) and, for MLPs, the <c>.onnx</c> beside it.</summary>
    /// <value>Required.</value>
    public string Out { get; set; } = "";

    /// <summary>Gets or sets where MLP students report each epoch (the CLI draws a progress bar from it).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public IProgress<Mlp.MlpEpochProgress>? EpochProgress { get; set; }

    /// <summary>Gets or sets the report to write (JSON).</summary>
    /// <value>Required.</value>
    public string Report { get; set; } = "";
}
