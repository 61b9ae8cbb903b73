using Microsoft.ML;
using MLNetDistill.Evaluation;

namespace MLNetDistill.Experiments;

/// <summary>What a <see cref="DistillationExperiment"/> found: the teacher's and every student's metrics on the same test rows, and the data used.</summary>
/// <remarks>Dispose the result to release the students' ONNX Runtime sessions (MLP students) once their models are saved or no longer used.</remarks>
public sealed class DistillationExperimentResult : IDisposable
{
    internal DistillationExperimentResult(
        DistillationMetrics? teacher, DistillationMetrics teacherOnTrainingRows, DistillationMetrics? teacherOnAllRows, long teacherModelBytes,
        IReadOnlyList<DistillationStudentResult> students, DataViewSchema inputSchema, float temperature, int seed,
        long trainRows, long transferRows, long testRows, bool testHeldOut, DistillationTeacherScoring teacherScoring, DistillationAugmentation? augmentation = null)
    {
        Augmentation = augmentation;
        Teacher = teacher;
        TeacherOnTrainingRows = teacherOnTrainingRows;
        TeacherOnAllRows = teacherOnAllRows;
        TeacherModelBytes = teacherModelBytes;
        Students = students;
        InputSchema = inputSchema;
        Temperature = temperature;
        Seed = seed;
        TrainRows = trainRows;
        TransferRows = transferRows;
        TestRows = testRows;
        TestHeldOut = testHeldOut;
        TeacherScoring = teacherScoring;
    }

    /// <summary>Gets what budgeted labeling (<see cref="DistillationExperimentOptions.Budget"/>) bought from the transfer rows, its curve and the random one, or <see langword="null"/> without a budget.</summary>
    public BudgetedLabelingResult? Budget { get; init; }

    /// <summary>Gets the teacher on the test rows (its probabilities at T = 1), or <see langword="null"/> when the test rows have no teacher outputs (soft labels made elsewhere, no ONNX teacher).</summary>
    public DistillationMetrics? Teacher { get; }

    /// <summary>Gets the teacher on the labeled training rows (transfer rows excluded).</summary>
    public DistillationMetrics TeacherOnTrainingRows { get; }

    /// <summary>Gets the teacher on the training and test rows together (all labeled rows), or <see langword="null"/> when <see cref="Teacher"/> is.</summary>
    public DistillationMetrics? TeacherOnAllRows { get; }

    /// <summary>Gets the size of the teacher's ONNX file (0 when there is none).</summary>
    public long TeacherModelBytes { get; }

    /// <summary>Gets the students, in the order they were given.</summary>
    public IReadOnlyList<DistillationStudentResult> Students { get; }

    /// <summary>Gets the schema of the training data as given, to save the models with (<c>mlContext.Model.Save(model, InputSchema, path)</c>).</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>Gets the temperature the teacher's soft labels were scored at; a sweep's trials at other temperatures record theirs in <see cref="DistillationStudentResult.Temperature"/>.</summary>
    public float Temperature { get; }

    /// <summary>Gets the seed.</summary>
    public int Seed { get; }

    /// <summary>Gets the labeled training rows the students learned from (after holding out the test rows, when they were).</summary>
    public long TrainRows { get; }

    /// <summary>Gets the unlabeled transfer rows the teacher labeled for the students.</summary>
    public long TransferRows { get; }

    /// <summary>Gets the rows every model was measured on.</summary>
    public long TestRows { get; }

    /// <summary>Gets whether the test rows were held out of the training data (no test data was given).</summary>
    public bool TestHeldOut { get; }

    /// <summary>Gets how many rows of each data set the teacher scored (each once) and how long it took.</summary>
    public DistillationTeacherScoring TeacherScoring { get; }

    /// <summary>Gets what the offline augmentation made (synthetic rows, settings, the teacher's time on them), or <see langword="null"/> without <see cref="DistillationExperimentOptions.Augmentation"/>.</summary>
    public DistillationAugmentation? Augmentation { get; }

    /// <summary>Gets the student accuracy retained from the teacher, student accuracy / teacher accuracy (NaN without a teacher on the test rows).</summary>
    /// <param name="student">One of <see cref="Students"/>.</param>
    /// <returns>The ratio.</returns>
    public double RetainedAccuracy(DistillationStudentResult student)
    {
        ArgumentNullException.ThrowIfNull(student);
        return Teacher is { } teacher ? student.Distilled.Metrics.Accuracy / teacher.Accuracy : double.NaN;
    }

    /// <summary>Releases the students' ONNX Runtime sessions.</summary>
    public void Dispose()
    {
        foreach (var student in Students)
        {
            (student.Distilled.Model as IDisposable)?.Dispose();
            (student.Baseline?.Model as IDisposable)?.Dispose();
            (student.PseudoBaseline?.Model as IDisposable)?.Dispose();
        }
    }
}
