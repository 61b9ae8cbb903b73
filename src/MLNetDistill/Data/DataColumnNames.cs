namespace MLNetDistill.Data;

/// <summary>The column names the readers, the teacher cache, the trainers and the evaluator agree on.</summary>
public static class DataColumnNames
{
    /// <summary>The class index (Single) or regression target.</summary>
    public const string Label = "Label";

    /// <summary>The input features (vector of Single).</summary>
    public const string Features = "Features";

    /// <summary>The teacher's raw logits (vector of Single, one per class).</summary>
    public const string TeacherLogits = "TeacherLogits";

    /// <summary>The teacher's probabilities at the distillation temperature (vector of Single, one per class).</summary>
    public const string SoftLabels = "SoftLabels";

    /// <summary>The teacher's predicted class as a 1-based key (key of UInt32), as ML.NET represents predicted labels.</summary>
    public const string TeacherPredictedLabel = "TeacherPredictedLabel";

    /// <summary>A regression teacher's prediction (Single), in the target's units.</summary>
    public const string TeacherScore = "TeacherScore";

    /// <summary>The example weight a soft-label student's base trainer reads (Single), as in ML.NET's <c>exampleWeightColumnName</c>.</summary>
    public const string Weight = "Weight";

    /// <summary>The regression target a soft-target student's base trainer reads: alpha · teacher + (1 − alpha) · label (Single).</summary>
    public const string Target = "Target";

    /// <summary>A model's scores: class probabilities (vector of Single) for a classifier, the prediction (Single) for a regressor, as ML.NET names them.</summary>
    public const string Score = "Score";

    /// <summary>A model's predicted class (key of UInt32 for multiclass, Boolean for binary), as ML.NET names it.</summary>
    public const string PredictedLabel = "PredictedLabel";
}
