using System.Text.Json;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Experiments;
using MLNetDistill.Reports;
using MLNetDistill.Tests.Experiments;

namespace MLNetDistill.Tests.Reports;

/// <summary><c>leaderboard.json</c> of a latency-axis run: every metric of each student and the teacher's serving cost.</summary>
[Collection(LatencyRunCollection.Name)]
public sealed class LeaderboardJsonTests(LatencyRun run)
{
    private const double Tolerance = 1e-9;

    private JsonElement Root => JsonDocument.Parse(LeaderboardJson.Serialize(run.Result)).RootElement;

    [Fact]
    public void Serialize_LatencyRun_StudentRecordsCarryEveryQualityMetric()
    {
        var students = Root.GetProperty("students").EnumerateArray().ToList();

        Assert.Equal(run.Result.Leaderboard.Entries.Count, students.Count);
        foreach (var (record, entry) in students.Zip(run.Result.Leaderboard.Entries))
        {
            var q = entry.Quality!;
            Assert.Equal(3, q.TopK);
            Assert.Equal(q.TopKAgreement, record.GetProperty("top3Agreement").GetDouble(), Tolerance);
            Assert.InRange(record.GetProperty("top3Agreement").GetDouble(), record.GetProperty("agreement").GetDouble(), 1.0);
            Assert.InRange(record.GetProperty("expectedCalibrationError").GetDouble(), 0, 1);
            Assert.Equal(q.ExpectedCalibrationError, record.GetProperty("expectedCalibrationError").GetDouble(), Tolerance);
            Assert.Equal(q.TeacherExpectedCalibrationError, record.GetProperty("teacherExpectedCalibrationError").GetDouble(), Tolerance);
            Assert.Equal(10, record.GetProperty("perClassAccuracy").GetArrayLength());
            Assert.Equal(10, record.GetProperty("perClassAgreement").GetArrayLength());
            Assert.All(record.GetProperty("perClassAgreement").EnumerateArray(), a => Assert.InRange(a.GetDouble(), 0, 1));
            var inheritance = record.GetProperty("inheritance");
            long teacherMistakes = inheritance.GetProperty("teacherMistakes").GetInt64();
            Assert.Equal(q.Inheritance!.TeacherMistakes, teacherMistakes);
            Assert.Equal(teacherMistakes, inheritance.GetProperty("copied").GetInt64() + inheritance.GetProperty("fixed").GetInt64() + inheritance.GetProperty("otherMistakes").GetInt64());
            Assert.Equal(q.Inheritance.NewMistakes, inheritance.GetProperty("newMistakes").GetInt64());
        }
    }

    [Fact]
    public void Serialize_LatencyRun_StudentRecordsCarryLatencyInBothFormsAndRatios()
    {
        var students = Root.GetProperty("students").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        var teacher = Root.GetProperty("teacher");
        double teacherP50 = teacher.GetProperty("latencyP50Microseconds").GetDouble();

        Assert.Equal("latency", Root.GetProperty("costAxis").GetString());
        foreach (var s in students.Values)
        {
            double p50 = s.GetProperty("latencyP50Microseconds").GetDouble();
            Assert.True(p50 > 0, s.ToString());
            Assert.True(s.GetProperty("latencyP99Microseconds").GetDouble() >= p50);
            Assert.True(s.GetProperty("throughputRowsPerSecond").GetDouble() > 0);
            Assert.Equal(p50, s.GetProperty("cost").GetDouble(), Tolerance);
            Assert.Equal(teacherP50 / p50, s.GetProperty("latencySpeedUp").GetDouble(), 1e-6);
            Assert.Equal(teacher.GetProperty("modelBytes").GetDouble() / s.GetProperty("modelBytes").GetDouble(), s.GetProperty("sizeReduction").GetDouble(), 1e-6);
            Assert.True(s.GetProperty("costSeconds").GetDouble() > 0);
        }

        var sdca = students["sdca"];
        Assert.True(sdca.GetProperty("onnxLatencyP50Microseconds").GetDouble() > 0);
        Assert.True(sdca.GetProperty("onnxLatencyP99Microseconds").GetDouble() >= sdca.GetProperty("onnxLatencyP50Microseconds").GetDouble());
        Assert.True(sdca.GetProperty("onnxThroughputRowsPerSecond").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, sdca.GetProperty("onnxNote").ValueKind);
        var custom = students[LatencyRun.CustomStudent];
        Assert.Equal(JsonValueKind.Null, custom.GetProperty("onnxLatencyP50Microseconds").ValueKind);
        Assert.Equal(JsonValueKind.Null, custom.GetProperty("onnxThroughputRowsPerSecond").ValueKind);
        Assert.StartsWith("does not convert: ", custom.GetProperty("onnxNote").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_MeasureLatencyFalse_LatencyFieldsNaNOrNullWithNote()
    {
        var ml = new MLContext(seed: 0);
        var cancer = DataSourceReader.Load(TestPaths.Fixture("breast_cancer.csv"), "label");
        var experiment = new StudentSizeExperiment(ml).SetTeacher(TestPaths.Fixture("binary_teacher.onnx")).AddStudents("sdca");
        experiment.Options.MeasureLatency = false;
        using var result = experiment.Run(ml.Data.TakeRows(cancer, 400), ml.Data.SkipRows(cancer, 400));

        var root = JsonDocument.Parse(LeaderboardJson.Serialize(result)).RootElement;

        var student = root.GetProperty("students")[0];
        Assert.Equal("NaN", student.GetProperty("latencyP50Microseconds").GetString());
        Assert.Equal("NaN", student.GetProperty("latencySpeedUp").GetString());
        Assert.Equal(JsonValueKind.Null, student.GetProperty("onnxLatencyP50Microseconds").ValueKind);
        Assert.Equal("not measured: MeasureLatency is false", student.GetProperty("onnxNote").GetString());
        Assert.True(student.GetProperty("sizeReduction").GetDouble() > 0); // the teacher's bytes are known without timing
        var teacher = root.GetProperty("teacher");
        Assert.Equal(JsonValueKind.Null, teacher.GetProperty("latencyP50Microseconds").ValueKind);
        Assert.Equal(JsonValueKind.Null, teacher.GetProperty("onnxLatencyP50Microseconds").ValueKind);
        Assert.Equal("not measured: MeasureLatency is false", teacher.GetProperty("latencyNote").GetString());
    }

    [Fact]
    public void Serialize_LatencyRun_TeacherRecordKeepsItsFieldsAndAddsItsCost()
    {
        var teacher = Root.GetProperty("teacher");

        Assert.Equal(run.Result.Experiment.Teacher!.Accuracy, teacher.GetProperty("accuracy").GetDouble(), Tolerance);
        Assert.Equal(run.Result.Experiment.TeacherModelBytes, teacher.GetProperty("modelBytes").GetInt64());
        Assert.True(teacher.GetProperty("parameters").GetInt64() > 0);
        double p50 = teacher.GetProperty("latencyP50Microseconds").GetDouble();
        Assert.True(p50 > 0);
        Assert.True(teacher.GetProperty("latencyP99Microseconds").GetDouble() >= p50);
        Assert.True(teacher.GetProperty("throughputRowsPerSecond").GetDouble() > 0);
        Assert.True(teacher.GetProperty("onnxLatencyP50Microseconds").GetDouble() > 0);
        Assert.True(teacher.GetProperty("onnxThroughputRowsPerSecond").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, teacher.GetProperty("onnxNote").ValueKind);
        Assert.Equal(p50, Root.GetProperty("teacherCost").GetDouble(), Tolerance);
    }
}
