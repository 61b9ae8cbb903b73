namespace MLNetDistill.Teachers;

/// <summary>What a teacher predicts, which decides the columns the teacher scorer adds.</summary>
public enum TeacherTask
{
    /// <summary>Decided from the output: one value per row is a binary logit, two or more are class logits.</summary>
    Auto = 0,

    /// <summary>K class logits (or probabilities) per row.</summary>
    Multiclass = 1,

    /// <summary>One logit (or probability) per row for the positive class, or two class logits.</summary>
    Binary = 2,

    /// <summary>One real value per row; no soft labels are made.</summary>
    Regression = 3,
}
