using Google.Protobuf;
using Microsoft.ML;
using MLNetDistill.Data;
using MLNetDistill.Onnx.Proto;
using MLNetDistill.Tests.Data;
using MLNetDistill.Tests.Fuzz;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// Regression tests for teacher models the fuzzer damaged: each is a real fixture with one field changed, scored on the
/// real data it was trained for.
/// </summary>
public sealed class TeacherModelDamageTests(FuzzCorpusFixture fixture) : IClassFixture<FuzzCorpusFixture>, IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ScoreWithTeacher_NodeInputThatDoesNotExist_ThrowsInvalidDataNamingFileWithoutErrorCode()
    {
        // Fuzz onnx case 3 (seed 20261201): an initializer name lost a letter. ONNX Runtime's "[ErrorCode:InvalidArgument]
        // Invalid model..." reached the user as "ONNX Runtime cannot load the teacher: [ErrorCode:...]", naming no file.
        string path = Mutated(fixture.Corpus.BinaryTeacher, m => m.Graph.Node[0].Input[1] = "fc1.weigh");

        var ex = Assert.Throws<InvalidDataException>(() => new MLContext(0).Transforms.ScoreWithTeacher(path));

        Assert.Contains(path, ex.Message);
        Assert.Contains("'fc1.weigh' is not a graph input", ex.Message);
        Assert.DoesNotContain("[ErrorCode", ex.Message);
    }

    [Fact]
    public void ScoreWithTeacher_UnsupportedIrVersion_ThrowsWithoutTheCppSourceLocation()
    {
        // Fuzz onnx case 76: ONNX Runtime prefixes this message with "/onnxruntime_src/.../model.cc:256 onnxruntime::Model::Model(...)".
        string path = Mutated(fixture.Corpus.RegressionTeacher, m => m.IrVersion = 99);

        var ex = Assert.Throws<InvalidDataException>(() => new MLContext(0).Transforms.ScoreWithTeacher(path));

        Assert.Contains(path, ex.Message);
        Assert.Contains("Unsupported model IR version: 99", ex.Message);
        Assert.DoesNotContain("onnxruntime_src", ex.Message);
        Assert.DoesNotContain("::", ex.Message);
    }

    [Fact]
    public void ScoreWithTeacher_ModelThatFailsOnItsFirstRow_ThrowsInvalidDataNamingFileAndNode()
    {
        // Fuzz onnx case 397 (seed 20261201): the second Gemm's bias replaced by the graph input loads, but fails on the
        // probe row; the message named "the teacher", not the file.
        string path = Mutated(fixture.Corpus.BinaryTeacher, m => m.Graph.Node.First(n => n.Name == "/fc2/Gemm").Input[2] = "input");

        var ex = Assert.Throws<InvalidDataException>(() => new MLContext(0).Transforms.ScoreWithTeacher(path));

        Assert.Contains($"Teacher '{path}' could not run on a test row", ex.Message);
        Assert.Contains("/fc2/Gemm", ex.Message);
        Assert.DoesNotContain("[ErrorCode", ex.Message);
    }

    [Theory]
    [InlineData(
        "[ErrorCode:Fail] Exception during initialization: /onnxruntime_src/onnxruntime/core/common/safeint.h:17 static void SafeIntExceptionHandler<onnxruntime::OnnxRuntimeException>::SafeIntOnOverflow() Integer overflow",
        "Exception during initialization: Integer overflow")]
    [InlineData(
        "[ErrorCode:Fail] Exception during initialization: /onnxruntime_src/onnxruntime/core/optimizer/initializer.cc:51 onnxruntime::Initializer::Initializer(const onnx::TensorProto&, const std::filesystem::__cxx11::path&) [ONNXRuntimeError] : 1 : FAIL : tensorprotoutils.cc:1609 ValidateEmbeddedTensorProtoDataSizeAndShape Initializer 'fc2.weight': data field count (0) does not match expected count from shape (8)",
        "Exception during initialization: ValidateEmbeddedTensorProtoDataSizeAndShape Initializer 'fc2.weight': data field count (0) does not match expected count from shape (8)")]
    [InlineData(
        "[ErrorCode:InvalidArgument] Invalid model. Node input 'fc1.weigh' is not a graph input, initializer, or output of a previous node.",
        "Invalid model. Node input 'fc1.weigh' is not a graph input, initializer, or output of a previous node")]
    public void OrtMessage_SourceLocationsAndErrorCodes_AreRemovedAndTheWordsKept(string raw, string expected)
    {
        // Fuzz onnx case 188 (seed 42): an initializer dim of 2^63 - 1 gave a message with a C++ location in its middle.
        Assert.Equal(expected, MLNetDistill.Teachers.TeacherSession.OrtMessage(raw));
    }

    [Fact]
    public void ScoreWithTeacher_InitializerDimensionHuge_ThrowsInvalidDataWithoutCppNames()
    {
        string path = Mutated(fixture.Corpus.SoftmaxTeacher, m => m.Graph.Initializer.First(t => t.Name == "fc2.weight").Dims[0] = long.MaxValue);

        var ex = Assert.Throws<InvalidDataException>(() => new MLContext(0).Transforms.ScoreWithTeacher(path));

        Assert.Contains(path, ex.Message);
        Assert.DoesNotContain("onnxruntime", ex.Message);
        Assert.DoesNotContain("::", ex.Message);
    }

    [Theory]
    [InlineData(2147483647L)]
    [InlineData(long.MaxValue)]
    [InlineData(1L << 40)]
    public void ScoreWithTeacher_InputDimensionHuge_ThrowsInvalidDataBeforeAllocating(long dimension)
    {
        // Fuzz onnx cases 233 and 256: a huge declared input dimension overflowed (OverflowException) in the shape probe.
        string path = Mutated(fixture.Corpus.BinaryTeacher, m => m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = dimension);

        var ex = Assert.Throws<InvalidDataException>(() => new MLContext(0).Transforms.ScoreWithTeacher(path));

        Assert.Contains("Teacher input 'input'", ex.Message);
        Assert.Contains("values per row", ex.Message);
    }

    [Fact]
    public void ScoreWithTeacher_BatchBufferLargerThanAnArray_ThrowsArgumentOutOfRangeNamingTheLargestBatch()
    {
        // Fuzz cli case 187: --batch-size 1000000000 for the 30-feature teacher overflowed (OverflowException) in the
        // cursor's buffer; now the largest batch that fits is named.
        var options = new MLNetDistill.Teachers.TeacherScoringOptions { ModelFile = fixture.Corpus.BinaryTeacher, BatchSize = 1_000_000_000 };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext(0).Transforms.ScoreWithTeacher(options));

        Assert.Equal("BatchSize", ex.ParamName);
        Assert.Contains($"from 1 to {Array.MaxLength / 30:N0}", ex.Message);
    }

    [Fact]
    public void Transform_BatchSizeFarLargerThanAKnownRowCount_AllocatesForTheRowsOnly()
    {
        // 10 million rows x 30 floats would be 1.2 GB of input buffer for 20 rows of data: when the data knows its row count
        // (Parquet, IDX, caches), the batch is capped at it.
        // The corpus Parquet file has a nullable column (null in rows 2, 7, 12, 17), so those rows are skipped.
        var ml = new MLContext(0);
        IDataView data = DataSourceReader.Load(fixture.Corpus.ParquetPath, "label");
        using var small = ml.Transforms.ScoreWithTeacher(Options(256)).Fit(data);
        List<float[]> expected = ViewRows.Vectors(small.Transform(data), "TeacherLogits");
        using var teacher = ml.Transforms.ScoreWithTeacher(Options(10_000_000)).Fit(data);
        // This thread's allocations only: other tests running in parallel allocate too (a process-wide count once saw
        // 116 MB here). The cursor and its batch buffers live on the thread that reads the rows.
        long before = GC.GetAllocatedBytesForCurrentThread();

        List<float[]> logits = ViewRows.Vectors(teacher.Transform(data), "TeacherLogits");

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(FuzzCorpus.Rows - 4, logits.Count);
        Assert.Equal(expected, logits);
        Assert.True(allocated < 64L << 20, $"allocated {allocated:N0} bytes: for the batch size, not the rows");
    }

    private MLNetDistill.Teachers.TeacherScoringOptions Options(int batchSize) =>
        new() { ModelFile = fixture.Corpus.BinaryTeacher, BatchSize = batchSize, SkipInvalidRows = true };

    private string Mutated(string seed, Action<ModelProto> change)
    {
        ModelProto model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(seed));
        change(model);
        string path = _temp.File(Path.GetFileNameWithoutExtension(seed) + "-damaged.onnx");
        File.WriteAllBytes(path, model.ToByteArray());
        return path;
    }
}
