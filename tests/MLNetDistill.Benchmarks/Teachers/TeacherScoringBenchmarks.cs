using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Data;
using MLNetDistill.Teachers;

namespace MLNetDistill.Benchmarks.Teachers;

/// <summary>
/// Rows per second of scoring the Fashion-MNIST 10k test set: our batched estimator vs ML.NET's ApplyOnnxModel vs
/// raw ONNX Runtime (batches of 256 and of 1), on the MLP and the CNN teacher, side by side in one run.
/// Rows/s = 10,000 / mean time.
/// </summary>
/// <remarks>
/// The raw sessions use one intra-op thread per logical processor, as ours does; "default options" is a raw session
/// left to ONNX Runtime's own thread count. ApplyOnnxModel runs one Run per row but on ML.NET's parallel cursors
/// (max(2, cores - 1) threads), so it uses every core too.
/// </remarks>
[Config(typeof(BenchConfig))]
public class TeacherScoringBenchmarks
{
    private MLContext _ml = null!;
    private IDataView _data = null!;
    private float[] _pixels = null!;
    private int _rows;
    private TeacherScoringTransformer _ours = null!;
    private ITransformer _applyOnnx = null!;
    private InferenceSession _session = null!;
    private InferenceSession _defaultSession = null!;
    private string _inputName = null!;
    private string _outputName = null!;
    private long[] _rowShape = null!;

    [Params("mlp", "cnn")]
    public string Teacher { get; set; } = "mlp";

    [GlobalSetup]
    public void Setup()
    {
        _ml = new MLContext(0);
        var (pixels, rows, cols, _) = IdxReader.ReadAll(BenchPaths.FashionImages);
        _pixels = pixels;
        _rows = rows;
        var schema = SchemaDefinition.Create(typeof(ImageRow));
        schema[nameof(ImageRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, cols);
        _data = _ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(r => new ImageRow { Features = pixels.AsSpan(r * cols, cols).ToArray() }).ToArray(), schema);
        string path = Teacher == "mlp" ? BenchPaths.MlpTeacher : BenchPaths.CnnTeacher;
        _ours = _ml.Transforms.ScoreWithTeacher(new TeacherScoringOptions { ModelFile = path, TeacherOutputName = "logits" }).Fit(_data);
        var info = Onnx.OnnxModelInfo.Load(path);
        _inputName = info.Inputs[0].Name;
        _outputName = "logits";
        _rowShape = info.Inputs[0].Dimensions!.Skip(1).Select(long.Parse).ToArray();
        _applyOnnx = _ml.Transforms.ApplyOnnxModel([_outputName], [_inputName], path).Fit(_ml.Transforms.CopyColumns(_inputName, "Features").Fit(_data).Transform(_data));
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount };
        _session = new InferenceSession(path, options);
        _defaultSession = new InferenceSession(path);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ours.Dispose();
        _session.Dispose();
        _defaultSession.Dispose();
    }

    [Benchmark(Baseline = true, Description = "MLNetDistill ScoreWithTeacher, batch 256")]
    public float Ours() => Drain(_ours.Transform(_data), "SoftLabels");

    [Benchmark(Description = "ML.NET ApplyOnnxModel")]
    public float MlNetApplyOnnxModel() => Drain(_applyOnnx.Transform(_ml.Transforms.CopyColumns(_inputName, "Features").Fit(_data).Transform(_data)), _outputName);

    [Benchmark(Description = "raw ONNX Runtime, batch 256")]
    public float RawOrt256() => RawOrt(_session, 256);

    [Benchmark(Description = "raw ONNX Runtime, batch 1")]
    public float RawOrt1() => RawOrt(_session, 1);

    [Benchmark(Description = "raw ONNX Runtime, batch 256, default options")]
    public float RawOrt256DefaultOptions() => RawOrt(_defaultSession, 256);

    private float RawOrt(InferenceSession session, int batch)
    {
        int perRow = _pixels.Length / _rows;
        float sum = 0;
        using var runOptions = new RunOptions();
        for (int start = 0; start < _rows; start += batch)
        {
            int n = Math.Min(batch, _rows - start);
            using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _pixels.AsMemory(start * perRow, n * perRow), [n, .. _rowShape]);
            using var outputs = session.Run(runOptions, [_inputName], [input], [_outputName]);
            sum += outputs[0].GetTensorDataAsSpan<float>()[0];
        }

        return sum;
    }

    private static float Drain(IDataView view, string column)
    {
        var col = view.Schema[column];
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> value = default;
        float sum = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            sum += value.GetValues()[0];
        }

        return sum;
    }

    public sealed class ImageRow
    {
        public float[] Features { get; set; } = [];
    }
}
