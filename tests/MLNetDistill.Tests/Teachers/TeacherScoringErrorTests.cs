using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Teachers;

public sealed class TeacherScoringErrorTests
{
    private static float[][] Rows(int count, int width, float fill = 0.5f) =>
        Enumerable.Range(0, count).Select(_ => Enumerable.Repeat(fill, width).ToArray()).ToArray();

    [Fact]
    public void Constructor_MissingFile_ThrowsFileNotFoundNamingPath()
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<FileNotFoundException>(() => ml.Transforms.ScoreWithTeacher("/nonexistent/teacher.onnx"));
        Assert.Contains("/nonexistent/teacher.onnx", ex.Message);
    }

    [Fact]
    public void Constructor_NotOnnx_ThrowsInvalidData()
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<InvalidDataException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("not_onnx.onnx")));
        Assert.Contains("is not an ONNX model", ex.Message);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(-2f)]
    [InlineData(float.NaN)]
    public void Constructor_BadTemperature_ThrowsQuotingValue(float temperature)
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher, temperature: temperature));
        Assert.Contains(temperature.ToString(System.Globalization.CultureInfo.CurrentCulture), ex.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Constructor_BadBatchSize_Throws(int batchSize)
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, BatchSize = batchSize }));
        Assert.Contains("BatchSize", ex.Message);
    }

    [Fact]
    public void Fit_InputColumnMissing_ThrowsListingColumns()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, Rows(3, 784));
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher, "Pixels").Fit(data));
        Assert.Contains("'Pixels'", ex.Message);
        Assert.Contains("Features", ex.Message);
    }

    [Fact]
    public void Fit_WrongColumnType_ThrowsNamingTypes()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new { Features = "text" }]);
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data));
        Assert.Contains("float", ex.Message);
    }

    [Theory]
    [InlineData(783)]
    [InlineData(785)]
    [InlineData(1)]
    public void Fit_VectorLengthCannotMap_ThrowsNamingBoth(int width)
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, Rows(2, width));
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data));
        Assert.Contains(width.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message);
        Assert.Contains("784", ex.Message);
    }

    [Theory]
    [InlineData("Class")]
    [InlineData("label")]
    [InlineData("target")]
    public void Fit_LabelLikeColumnReadAsFeature_ThrowsNamingItAsTheLabelWithoutFlagNames(string name)
    {
        string path = TestPaths.TempFile(".csv");
        Tests.Data.FashionCsv.Write(path, 3, name);
        var ml = new MLContext(1);
        var data = CsvFeatureReader.Load(path, labelColumnName: "none", labelOptional: true); // the label-like column stays a feature

        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data));

        Assert.Contains("has 785 values per row", ex.Message);
        Assert.Contains("(784 values per row)", ex.Message);
        Assert.Contains($"Column '{name}' of the data looks like a label read as a feature: pass its name as the label column.", ex.Message);
        Assert.DoesNotContain("--", ex.Message);
        Assert.Equal(name, ex.Data[LabelCandidates.ExceptionDataKey]);
    }

    [Fact]
    public void Fit_OneValueTooManyWithoutLabelLikeName_SaysSoWithoutNamingAColumn()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, Rows(2, 785));

        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data));

        Assert.Contains("That is one value too many: if a label column was read as a feature, pass its name as the label column.", ex.Message);
        Assert.False(ex.Data.Contains(LabelCandidates.ExceptionDataKey));
    }

    [Fact]
    public void Fit_LabelColumnNamedLabel_IsNotReadAsAFeature()
    {
        string path = TestPaths.TempFile(".csv");
        float[] labels = Tests.Data.FashionCsv.Write(path, 5, "Label");
        var ml = new MLContext(1);
        var data = CsvFeatureReader.Load(path);

        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);

        Assert.Equal(784, ((VectorDataViewType)data.Schema["Features"].Type).Size);
        Assert.Equal(labels, teacher.Transform(data).GetColumn<float>("Label"));
    }

    [Fact]
    public void Fit_InputColumnMissingAmongManyColumns_ListsTenThenCountsTheRest()
    {
        var ml = new MLContext(1);
        IDataView data = TestData.Vectors(ml, Rows(1, 784));
        for (int i = 0; i < 12; i++)
        {
            data = ml.Transforms.CopyColumns($"Copy{i}", "Label").Fit(data).Transform(data);
        }

        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher, "Pixels").Fit(data));

        Assert.Contains("Columns present: Features, Label, Id, Copy0, Copy1, Copy2, Copy3, Copy4, Copy5, Copy6, ... and 5 more.", ex.Message);
    }

    [Fact]
    public void Transform_NaNFeature_ThrowsNamingRow()
    {
        var ml = new MLContext(1);
        var rows = Rows(5, 784);
        rows[3][100] = float.NaN;
        var data = TestData.Vectors(ml, rows);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var ex = Assert.Throws<InvalidDataException>(() => teacher.Transform(data).GetColumn<float[]>("SoftLabels").ToArray());
        Assert.Contains("Row 3", ex.Message);
        Assert.Contains("SkipInvalidRows", ex.Message);
    }

    [Fact]
    public void Transform_InfinityWithSkip_SkipsAndCounts()
    {
        var ml = new MLContext(1);
        var rows = Rows(7, 784);
        rows[1][0] = float.PositiveInfinity;
        rows[5][783] = float.NaN;
        var data = TestData.Vectors(ml, rows);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, SkipInvalidRows = true };
        using var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(data);
        var ids = teacher.Transform(data).GetColumn<int>("Id").ToArray();
        Assert.Equal([0, 2, 3, 4, 6], ids);
        Assert.Equal(2, teacher.SkippedRows);
    }

    [Fact]
    public void Transform_EmptyData_ThrowsNoRows()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, Rows(0, 784), width: 784);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var ex = Assert.Throws<InvalidDataException>(() => teacher.Transform(data).GetColumn<float[]>("SoftLabels").ToArray());
        Assert.Contains("no rows", ex.Message);
    }

    [Fact]
    public void Transform_LabelBeyondTeacherClasses_ThrowsStatingBothCounts()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, Rows(3, 784), [1f, 12f, 0f]);
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        var ex = Assert.Throws<InvalidDataException>(() => teacher.Transform(data).GetColumn<float[]>("SoftLabels").ToArray());
        Assert.Contains("Label 12", ex.Message);
        Assert.Contains("10 classes", ex.Message);
    }

    [Fact]
    public void Fit_KeyLabelWithOtherClassCount_ThrowsStatingBoth()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, Rows(3, 784), [0f, 1f, 2f]);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(keyed));
        Assert.Contains("10 classes", ex.Message);
        Assert.Contains("has 3", ex.Message);
    }

    [Fact]
    public void Constructor_UnknownHint_ThrowsListingIntermediates()
    {
        var ml = new MLContext(1);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher };
        options.Hints.Add(new TeacherHint("no_such_tensor", "Hint"));
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(options));
        Assert.Contains("no_such_tensor", ex.Message);
        Assert.Contains("Intermediate outputs it has", ex.Message);
    }

    [Fact]
    public void Constructor_UnknownOutput_ThrowsListingOutputs()
    {
        var ml = new MLContext(1);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, TeacherOutputName = "probs" };
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(options));
        Assert.Contains("logits", ex.Message);
    }

    [Fact]
    public void Constructor_TwoInputsUnmapped_ThrowsNamingInputs()
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("two_inputs.onnx")));
        Assert.Contains("input_ids", ex.Message);
        Assert.Contains("attention_mask", ex.Message);
    }

    [Fact]
    public void Fit_GpuWithoutFallback_ThrowsClearError()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, Rows(2, 784));
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, GpuDeviceId = 0 };
        var ex = Assert.Throws<InvalidOperationException>(() => ml.Transforms.ScoreWithTeacher(options).Fit(data));
        Assert.Contains("CUDA device 0", ex.Message);
        Assert.Contains("FallbackToCpu", ex.Message);
    }

    [Fact]
    public void Fit_GpuWithFallback_WarnsInMLContextLogAndRunsOnCpu()
    {
        var ml = new MLContext(1);
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            lock (messages)
            {
                messages.Add(e.Message);
            }
        };
        var data = TestData.Vectors(ml, Rows(2, 784));
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, GpuDeviceId = 0, FallbackToCpu = true };
        using var teacher = ml.Transforms.ScoreWithTeacher(options).Fit(data);
        Assert.Equal("cpu", teacher.Device);
        Assert.Equal(2, teacher.Transform(data).GetColumn<float[]>("SoftLabels").Count());
        Assert.Contains(messages, m => m.Contains("Falling back to the CPU", StringComparison.Ordinal));
    }
}
