using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetDistill.Data;
using MLNetDistill.Teachers;
using MLNetDistill.MlNet;

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
        Assert.Equal("Temperature", ex.ParamName);
        Assert.Contains($"positive finite number (typically 1 to 20) but was {temperature.ToString(System.Globalization.CultureInfo.CurrentCulture)}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Constructor_BadBatchSize_ThrowsNamingOptionAndValue(int batchSize)
    {
        var ml = new MLContext(1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, BatchSize = batchSize }));
        Assert.Equal("BatchSize", ex.ParamName);
        Assert.Contains($"BatchSize must be a positive number of rows (for example 256) but was {batchSize}.", ex.Message, StringComparison.Ordinal);
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
        Assert.Contains("Column 'Features' holds String but teacher input 'input' takes float values", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ConvertType(\"Features\", outputKind: DataKind.Single)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_TextFeatures_ThrowsNamingColumnTypeAndConversion()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new { Features = "text" }]);
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));
        Assert.Contains("Column 'Features' holds String but teacher input 'input' takes float values", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DataKind.Single", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_DoubleVectorFeatures_ThrowsNamingVectorType()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new DoubleRow()]);
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));
        Assert.Contains("Column 'Features' holds Vector<Double> but teacher input 'input' takes float values", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_ScalarFeatureForVectorInput_ThrowsStatingTheCount()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new { Features = 1f }]);
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));
        Assert.Contains("Column 'Features' holds one Single per row, but teacher input 'input' takes 784 values per row", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_SingleColumnsForInt64Inputs_ThrowsNamingInt64()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable([new TwoSingleVectors()]);
        var options = new TeacherScoringOptions { ModelFile = TestPaths.Fixture("two_inputs.onnx") };
        options.Inputs.Add(new TeacherInput("input_ids", nameof(TwoSingleVectors.Ids)));
        options.Inputs.Add(new TeacherInput("attention_mask", nameof(TwoSingleVectors.Mask)));
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(options).GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));
        Assert.Contains("Column 'Ids' holds Vector<Single> but teacher input 'input_ids' takes int64 values", ex.Message, StringComparison.Ordinal);
        Assert.Contains("DataKind.Int64", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetOutputSchema_InputColumnMissing_ThrowsListingColumns()
    {
        var ml = new MLContext(1);
        var data = TestData.Vectors(ml, Rows(1, 784));
        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher, "Pixels").GetOutputSchema(SchemaShapeChecks.Shape(data.Schema)));
        Assert.Contains("Column 'Pixels' for teacher input 'input' is not in the data. Columns present: Features, Label, Id.", ex.Message, StringComparison.Ordinal);
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
    public void Fit_IdColumnReadAsFeature_ThrowsNamingItAsAColumnToIgnore()
    {
        string path = DigitsWithColumn("Id");
        var ml = new MLContext(1);
        var data = CsvFeatureReader.Load(path, "label");

        var ex = Assert.Throws<ArgumentException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("digits_teacher.onnx")).Fit(data));

        Assert.Contains("65 numeric columns besides the label but the teacher takes 64", ex.Message, StringComparison.Ordinal);
        Assert.Contains("column 'Id' looks like an identifier", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--", ex.Message, StringComparison.Ordinal);
        Assert.Equal("Id", ex.Data[NonFeatureCandidates.ExceptionDataKey]);

        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.Fixture("digits_teacher.onnx")).Fit(CsvFeatureReader.Load(path, "label", ignoreColumns: ["Id"]));
        Assert.Equal(10, teacher.ClassCount);
    }

    [Fact]
    public void Fit_ExtraColumnWithoutIdLikeName_ListsTheFeatureColumns()
    {
        var data = CsvFeatureReader.Load(DigitsWithColumn("weight"), "label");

        var ex = Assert.Throws<ArgumentException>(() => new MLContext(1).Transforms.ScoreWithTeacher(TestPaths.Fixture("digits_teacher.onnx")).Fit(data));

        Assert.Contains("(1 too many)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Feature columns read: weight, pixel_0_0", ex.Message, StringComparison.Ordinal);
        Assert.Equal(string.Empty, ex.Data[NonFeatureCandidates.ExceptionDataKey]);
    }

    /// <summary>The first 20 rows of digits_test.csv with a numeric column <paramref name="name"/> in front (the row number).</summary>
    private static string DigitsWithColumn(string name)
    {
        string path = TestPaths.TempFile(".csv");
        string[] lines = File.ReadLines(TestPaths.Fixture("digits_test.csv")).Take(21).ToArray();
        File.WriteAllLines(path, lines.Select((line, i) => (i == 0 ? name : (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)) + "," + line));
        return path;
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
    public void Fit_MLContextGpuDeviceWithFallback_WarnsInMLContextLogAndRunsOnCpu()
    {
        // No GPU on this machine: MLContext.GpuDeviceId = 0 is tried, fails, and MLContext.FallbackToCpu takes the CPU.
        var ml = new MLContext(1) { GpuDeviceId = 0, FallbackToCpu = true };
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            lock (messages)
            {
                messages.Add(e.Message);
            }
        };
        var data = TestData.Vectors(ml, Rows(2, 784));
        using var teacher = ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data);
        Assert.Equal("cpu", teacher.Device);
        Assert.Equal(2, teacher.Transform(data).GetColumn<float[]>("SoftLabels").Count());
        Assert.Contains(messages, m => m.Contains("CUDA device 0 cannot be used", StringComparison.Ordinal) && m.Contains("Falling back to the CPU", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_MLContextGpuDeviceWithoutFallback_ThrowsCudaError()
    {
        var ml = new MLContext(1) { GpuDeviceId = 0, FallbackToCpu = false };
        var data = TestData.Vectors(ml, Rows(2, 784));
        var ex = Assert.Throws<InvalidOperationException>(() => ml.Transforms.ScoreWithTeacher(TestPaths.FashionTeacher).Fit(data));
        Assert.Contains("CUDA device 0 cannot be used", ex.Message, StringComparison.Ordinal);
        Assert.Contains("FallbackToCpu", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_MLContextGpuDeviceOnTrainersCatalog_ReachesTheStudentScorer()
    {
        // An estimator built from another catalog of the same MLContext (the MLP student's scorer) reads the same settings.
        var ml = new MLContext(1) { GpuDeviceId = 0, FallbackToCpu = false };
        var transforms = CatalogEnvironment.Transforms(ml.MulticlassClassification.Trainers);
        Assert.Equal(((int?)0, false), CatalogEnvironment.GpuSettings(transforms));
        ml.FallbackToCpu = true;
        Assert.Equal(((int?)0, true), CatalogEnvironment.GpuSettings(ml.Regression.Trainers));
    }

    [Fact]
    public void Fit_OptionsDeviceSet_WinsOverMLContext()
    {
        // The options name device 1; MLContext says device 0 with fallback. The options' device (without fallback) is used.
        var ml = new MLContext(1) { GpuDeviceId = 0, FallbackToCpu = true };
        var data = TestData.Vectors(ml, Rows(2, 784));
        var options = new TeacherScoringOptions { ModelFile = TestPaths.FashionTeacher, GpuDeviceId = 1 };
        var ex = Assert.Throws<InvalidOperationException>(() => ml.Transforms.ScoreWithTeacher(options).Fit(data));
        Assert.Contains("CUDA device 1 cannot be used", ex.Message, StringComparison.Ordinal);
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

    private sealed class DoubleRow
    {
        [VectorType(784)]
        public double[] Features { get; set; } = new double[784];
    }

    private sealed class TwoSingleVectors
    {
        [VectorType(16)]
        public float[] Ids { get; set; } = new float[16];

        [VectorType(16)]
        public float[] Mask { get; set; } = new float[16];
    }
}
