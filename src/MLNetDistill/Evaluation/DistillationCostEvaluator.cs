using System.Diagnostics;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using MLNetDistill.Data;
using MLNetDistill.MlNet;
using MLNetDistill.Onnx;
using MLNetDistill.Students;
using MLNetDistill.Teachers;

namespace MLNetDistill.Evaluation;

/// <summary>Measures <see cref="DistillationCost"/>: size, parameters, single-row latency and batch throughput.</summary>
internal static class DistillationCostEvaluator
{
    private static readonly MethodInfo MakeReaderMethod = typeof(DistillationCostEvaluator).GetMethod(nameof(MakeReader), BindingFlags.NonPublic | BindingFlags.Static)!;

    public static DistillationCost Measure(ModelOperationsCatalog catalog, ITransformer model, IDataView data, DistillationCostOptions? options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        options = (options ?? new DistillationCostOptions()).Validated();
        long bytes = options.ModelBytes ?? ModelBytes(catalog, model, data.Schema);
        long? parameters = options.ParameterCount ?? CountParameters(model);

        // A service calls a model through a PredictionEngine, which runs its row-to-row mapper; the batched teacher has none,
        // so it is timed through its saveable twin (ML.NET's ApplyOnnxModel over the same graph), the way it would be served.
        ITransformer serving = model.IsRowToRowMapper ? model : model is TeacherScoringTransformer teacher ? teacher.ToApplyOnnxModel() : model;
        double p50 = double.NaN, p99 = double.NaN;
        if (serving.IsRowToRowMapper)
        {
            var times = TimeRows(serving, data, options);
            Array.Sort(times);
            p50 = Percentile(times, 0.50);
            p99 = Percentile(times, 0.99);
        }

        var (rows, seconds) = TimePass(model, data, options);
        return new DistillationCost(bytes, parameters, p50, p99, options.LatencyRows, rows / seconds, rows);
    }

    /// <summary>The nearest-rank percentile of sorted times, in microseconds.</summary>
    internal static double Percentile(long[] sortedTicks, double p)
    {
        int rank = Math.Clamp((int)Math.Ceiling(p * sortedTicks.Length), 1, sortedTicks.Length);
        return sortedTicks[rank - 1] * 1e6 / Stopwatch.Frequency;
    }

    private static long ModelBytes(ModelOperationsCatalog catalog, ITransformer model, DataViewSchema schema)
    {
        if (model is TeacherScoringTransformer teacher)
        {
            return teacher.GetScoringGraph().LongLength;
        }

        return ModelArchive.ToBytes(catalog, model, schema).LongLength;
    }

    internal static long? CountParameters(ITransformer model)
    {
        switch (model)
        {
            case TeacherScoringTransformer teacher:
                return OnnxModelInfo.FromBytes(teacher.GetScoringGraph(), "teacher").ParameterCount;
            case IOnnxGraphStudent student:
                return OnnxModelInfo.FromBytes(student.OnnxModel.ToArray(), "student").ParameterCount;
            case IEnumerable<ITransformer> chain:
                long? total = null;
                foreach (var part in chain)
                {
                    if (CountParameters(part) is { } n)
                    {
                        total = (total ?? 0) + n;
                    }
                }

                return total;
            case ISingleFeaturePredictionTransformer<object> predictor:
                return CountModelParameters(predictor.Model);
            default:
                return null;
        }
    }

    private static long? CountModelParameters(object model)
    {
        switch (model)
        {
            case LinearMulticlassModelParametersBase multiclass:
                VBuffer<float>[] weights = [];
                multiclass.GetWeights(ref weights, out int classes);
                long count = classes; // one bias per class
                foreach (var w in weights)
                {
                    count += w.Length;
                }

                return count;
            case LinearModelParameters linear:
                return linear.Weights.Count + 1L;
            case TreeEnsembleModelParametersBasedOnRegressionTree trees:
                // Each split node holds a threshold, each leaf a value.
                long nodes = 0;
                foreach (var tree in trees.TrainedTreeEnsemble.Trees)
                {
                    nodes += tree.NumberOfNodes + (long)tree.NumberOfLeaves;
                }

                return nodes;
            case OneVersusAllModelParameters ova:
                // ML.NET does not make the per-class models public (SubModelParameters is internal): give no count (null) when a future ML.NET moves them.
                long? sum = null;
                if (ModelParameterParts.OneVersusAllModels(ova) is { } subs)
                {
                    foreach (object sub in subs)
                    {
                        if (CountModelParameters(sub) is { } n)
                        {
                            sum = (sum ?? 0) + n;
                        }
                    }
                }

                return sum;
            default:
                // A calibrated model (CalibratedModelParametersBase<TSubModel, TCalibrator>): count its sub-model; the calibrator's one or two numbers are left out.
                return ModelParameterParts.CalibratedSubModel(model) is { } inner ? CountModelParameters(inner) : null;
        }
    }

    private static long[] TimeRows(ITransformer model, IDataView data, DistillationCostOptions options)
    {
        var mapper = model.GetRowToRowMapper(data.Schema);
        var outputs = OutputColumns(mapper.OutputSchema, data.Schema, options);
        var needed = mapper.GetDependencies(outputs).ToArray();
        var times = new long[options.LatencyRows];
        int done = -options.WarmupRows;
        while (done < times.Length)
        {
            using var cursor = data.GetRowCursor(needed);
            using var row = mapper.GetRow(cursor, outputs);
            var readers = new Action[outputs.Length];
            for (int i = 0; i < outputs.Length; i++)
            {
                readers[i] = (Action)MakeReaderMethod.MakeGenericMethod(outputs[i].Type.RawType).Invoke(null, [row, outputs[i]])!;
            }

            bool any = false;
            while (done < times.Length && cursor.MoveNext())
            {
                any = true;
                long start = Stopwatch.GetTimestamp();
                foreach (var read in readers)
                {
                    read();
                }

                long elapsed = Stopwatch.GetTimestamp() - start;
                if (done >= 0)
                {
                    times[done] = elapsed;
                }

                done++;
            }

            if (!any)
            {
                throw new InvalidDataException("The data to time the model on has no rows; pass at least one row.");
            }
        }

        return times;
    }

    private static (long Rows, double Seconds) TimePass(ITransformer model, IDataView data, DistillationCostOptions options)
    {
        var scored = model.Transform(data);
        var outputs = OutputColumns(scored.Schema, data.Schema, options);
        Read(scored, outputs, Math.Max(options.WarmupRows, 1));
        long start = Stopwatch.GetTimestamp();
        long rows = Read(scored, outputs, long.MaxValue);
        double seconds = Math.Max((Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency, 1e-9);
        if (rows == 0)
        {
            throw new InvalidDataException("The data to time the model on has no rows; pass at least one row.");
        }

        return (rows, seconds);
    }

    private static long Read(IDataView scored, DataViewSchema.Column[] outputs, long limit)
    {
        using var cursor = scored.GetRowCursor(outputs);
        var readers = new Action[outputs.Length];
        for (int i = 0; i < outputs.Length; i++)
        {
            readers[i] = (Action)MakeReaderMethod.MakeGenericMethod(outputs[i].Type.RawType).Invoke(null, [cursor, outputs[i]])!;
        }

        long rows = 0;
        while (rows < limit && cursor.MoveNext())
        {
            foreach (var read in readers)
            {
                read();
            }

            rows++;
        }

        return rows;
    }

    private static DataViewSchema.Column[] OutputColumns(DataViewSchema output, DataViewSchema input, DistillationCostOptions options)
    {
        var columns = new List<DataViewSchema.Column>();
        if (options.OutputColumnNames is { } names)
        {
            foreach (string name in names)
            {
                columns.Add(output.GetColumnOrNull(name) ?? throw new ArgumentException(
                    $"Output column '{name}' is not among the model's output columns ({string.Join(", ", output.Where(c => !c.IsHidden).Select(c => c.Name))}); name one of them, or leave OutputColumnNames null for every column the model adds.",
                    nameof(options)));
            }

            return [.. columns];
        }

        // Transformers append their columns after the input's; a column they replace is appended too (the input's is hidden).
        for (int i = input.Count; i < output.Count; i++)
        {
            if (!output[i].IsHidden)
            {
                columns.Add(output[i]);
            }
        }

        if (columns.Count == 0)
        {
            throw new ArgumentException("The model adds no columns to the data, so there is nothing to time; name the columns to read in OutputColumnNames.", nameof(options));
        }

        return [.. columns];
    }

    private static Action MakeReader<T>(DataViewRow row, DataViewSchema.Column column)
    {
        var getter = row.GetGetter<T>(column);
        T value = default!;
        return () => getter(ref value);
    }
}
