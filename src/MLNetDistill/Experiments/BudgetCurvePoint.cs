namespace MLNetDistill.Experiments;

/// <summary>One point of a budgeted labeling curve: the student trained on the labeled rows and the pool rows bought so far, measured on the test rows.</summary>
/// <param name="Bought">Pool rows the teacher had labeled for this student (the labeled training rows are free and not counted).</param>
/// <param name="Accuracy">The student's accuracy on the test rows' labels (NaN when they have none).</param>
/// <param name="Agreement">The share of test rows where the student predicts the teacher's class.</param>
public sealed record BudgetCurvePoint(int Bought, double Accuracy, double Agreement);
