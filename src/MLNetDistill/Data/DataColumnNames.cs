namespace MLNetDistill.Data;

/// <summary>The column names the readers, the teacher cache and the trainers agree on.</summary>
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
}
