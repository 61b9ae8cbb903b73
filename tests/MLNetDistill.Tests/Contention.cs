using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetDistill.Tests;

/// <summary>
/// Runs work on several dedicated threads that a barrier releases at the same instant, so they really contend for the
/// shared transformer, and collects every thread's failure.
/// </summary>
internal static class Contention
{
    /// <summary>Runs <paramref name="body"/>(thread index) on <paramref name="threads"/> threads at once; returns the wall time.</summary>
    public static TimeSpan Run(int threads, Action<int> body)
    {
        using var barrier = new Barrier(threads + 1);
        var errors = new ConcurrentQueue<Exception>();
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() =>
            {
                barrier.SignalAndWait();
                try
                {
                    body(index);
                }
                catch (Exception e)
                {
                    errors.Enqueue(e);
                }
            })
            { IsBackground = true, Name = $"contention-{t}" };
            workers[t].Start();
        }

        barrier.SignalAndWait();
        var clock = Stopwatch.StartNew();
        foreach (var worker in workers)
        {
            worker.Join();
        }

        if (!errors.IsEmpty)
        {
            throw new AggregateException(errors);
        }

        return clock.Elapsed;
    }

    /// <summary>Whether two float arrays are bit-for-bit equal (NaN payloads included).</summary>
    public static bool BitEqual(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            return false;
        }

        for (int i = 0; i < a.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// A pool of prediction engines over one model, as ASP.NET Core serving keeps them (ML.NET's rule: an engine is not
    /// thread-safe, so each request rents one). Disposing the pool disposes the engines it holds; the engines do not own
    /// the model (ML.NET's default, <c>OwnsTransformer = true</c>, would make the first engine the pool disposes, for
    /// example one returned to a full pool, dispose the shared model under every other engine).
    /// </summary>
    public static ObjectPool<PredictionEngine<TIn, TOut>> EnginePool<TIn, TOut>(MLContext ml, ITransformer model, SchemaDefinition? input, int retained)
        where TIn : class
        where TOut : class, new() =>
        new DefaultObjectPoolProvider { MaximumRetained = retained }.Create(new EnginePolicy<TIn, TOut>(ml, model, input));

    /// <summary>A prediction engine that does not dispose the model when it is disposed.</summary>
    public static PredictionEngine<TIn, TOut> Engine<TIn, TOut>(MLContext ml, ITransformer model, SchemaDefinition? input)
        where TIn : class
        where TOut : class, new() =>
        ml.Model.CreatePredictionEngine<TIn, TOut>(model, new PredictionEngineOptions { OwnsTransformer = false, InputSchemaDefinition = input });

    private sealed class EnginePolicy<TIn, TOut>(MLContext ml, ITransformer model, SchemaDefinition? input) : IPooledObjectPolicy<PredictionEngine<TIn, TOut>>
        where TIn : class
        where TOut : class, new()
    {
        public PredictionEngine<TIn, TOut> Create() => Engine<TIn, TOut>(ml, model, input);

        public bool Return(PredictionEngine<TIn, TOut> obj) => true;
    }
}
