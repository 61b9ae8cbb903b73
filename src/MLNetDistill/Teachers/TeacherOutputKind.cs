namespace MLNetDistill.Teachers;

/// <summary>What the teacher's chosen output holds.</summary>
public enum TeacherOutputKind
{
    /// <summary>Probabilities when the output is made by a Softmax or Sigmoid operator, logits otherwise.</summary>
    Auto = 0,

    /// <summary>Raw logits (log-probabilities are logits too: softmax gives back the same distribution).</summary>
    Logits = 1,

    /// <summary>Probabilities; their logarithm is used as the logits.</summary>
    Probabilities = 2,
}
