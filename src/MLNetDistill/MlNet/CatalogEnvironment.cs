using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace MLNetDistill.MlNet;

/// <summary>
/// Writes warnings to the <see cref="MLContext.Log"/> of the MLContext behind an ML.NET catalog. ML.NET keeps both the
/// catalog's environment and the channel's message methods internal, so they are found once through reflection;
/// when that fails (a future ML.NET), the warning still goes to <see cref="System.Diagnostics.Trace"/>.
/// Every member found this way is listed by <see cref="Lookups"/>, which <see cref="MlNetInternals"/> checks.
/// </summary>
internal static class CatalogEnvironment
{
    private static readonly PropertyInfo? EnvironmentProperty = typeof(TransformsCatalog).Assembly
        .GetType("Microsoft.ML.Data.IInternalCatalog")?.GetProperty("Environment");

    private static readonly MethodInfo? WarningMethod = typeof(IChannel).Assembly
        .GetType("Microsoft.ML.Runtime.HostExtensions")?.GetMethod("Warning", [typeof(IChannel), typeof(string)]);

    // MLContext.GpuDeviceId and FallbackToCpuIfGpuFail live on its environment, behind ML.NET's internal
    // IHostEnvironmentInternal; ML.NET's ApplyOnnxModel reads them there when its own options leave the device unset.
    private static readonly Type? InternalEnvironment = typeof(IHostEnvironment).Assembly.GetType("Microsoft.ML.Runtime.IHostEnvironmentInternal");

    private static readonly PropertyInfo? GpuDeviceIdProperty = InternalEnvironment?.GetProperty("GpuDeviceId");

    private static readonly PropertyInfo? FallbackToCpuProperty = InternalEnvironment?.GetProperty("FallbackToCpu");

    // MLContext's cancellation (ML.NET 5 has no public CancelExecution: it is ICancelable's, an internal interface that both
    // MLContext and its environment implement). Cancelling makes every channel's next check throw OperationCanceledException.
    private static readonly MethodInfo? CancelMethod = typeof(IHostEnvironment).Assembly.GetType("Microsoft.ML.Runtime.ICancelable")?.GetMethod("CancelExecution", Type.EmptyTypes);

    private static readonly ConstructorInfo? TransformsConstructor = typeof(TransformsCatalog).GetConstructor(BindingFlags.NonPublic | BindingFlags.Instance, [typeof(IHostEnvironment)]);

    /// <summary>The ML.NET internals this class uses, each with whether this ML.NET has it.</summary>
    public static IEnumerable<(string Member, bool Found)> Lookups() =>
    [
        ("Microsoft.ML.Data.IInternalCatalog.Environment", EnvironmentProperty is not null),
        ("Microsoft.ML.Runtime.HostExtensions.Warning(IChannel, string)", WarningMethod is not null),
        ("Microsoft.ML.Runtime.IHostEnvironmentInternal.GpuDeviceId", GpuDeviceIdProperty is not null),
        ("Microsoft.ML.Runtime.IHostEnvironmentInternal.FallbackToCpu", FallbackToCpuProperty is not null),
        ("Microsoft.ML.Runtime.ICancelable.CancelExecution()", CancelMethod is not null),
        ("Microsoft.ML.TransformsCatalog(IHostEnvironment) constructor", TransformsConstructor is not null),
    ];

    /// <summary>
    /// Cancels <paramref name="mlContext"/> as ML.NET's own <c>ICancelable.CancelExecution</c> does: trainers and cursors
    /// running on it stop at their next check with <see cref="OperationCanceledException"/>, and the context cannot be used again.
    /// </summary>
    /// <returns><see langword="false"/> when this ML.NET has no such cancellation (the caller then relies on its own checks).</returns>
    public static bool TryCancel(MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        if (CancelMethod?.DeclaringType is not { } cancelable)
        {
            return false;
        }

        object? target = cancelable.IsInstanceOfType(mlContext) ? mlContext : Get(mlContext.Transforms) is { } env && cancelable.IsInstanceOfType(env) ? env : null;
        if (target is null)
        {
            return false;
        }

        CancelMethod.Invoke(target, null);
        return true;
    }

    /// <summary>The environment behind an ML.NET catalog, or null when this ML.NET does not expose it.</summary>
    public static IHostEnvironment? Get(object catalog) => EnvironmentProperty?.GetValue(catalog) as IHostEnvironment;

    /// <summary>
    /// The <see cref="MLContext.GpuDeviceId"/> and <see cref="MLContext.FallbackToCpu"/> of the MLContext behind
    /// <paramref name="catalog"/>; (null, false) when the environment does not carry them (not an MLContext's, or a
    /// future ML.NET that moved them).
    /// </summary>
    public static (int? GpuDeviceId, bool FallbackToCpu) GpuSettings(object catalog)
    {
        var env = Get(catalog);
        if (env is null || InternalEnvironment is null || !InternalEnvironment.IsInstanceOfType(env))
        {
            return (null, false);
        }

        return (GpuDeviceIdProperty?.GetValue(env) as int?, FallbackToCpuProperty?.GetValue(env) is true);
    }

    /// <summary>
    /// The transforms catalog over the same environment as <paramref name="catalog"/> (a trainers catalog, say), so that
    /// estimators made from any catalog build ML.NET transforms (ApplyOnnxModel, CustomMapping) that log to the
    /// caller's <see cref="MLContext"/>, as ML.NET's own trainers do. ML.NET keeps the constructor internal.
    /// </summary>
    public static TransformsCatalog Transforms(object catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (catalog is TransformsCatalog transforms)
        {
            return transforms;
        }

        var env = Get(catalog) ?? throw new InvalidOperationException(
            $"The ML.NET catalog {catalog.GetType().Name} does not expose its environment to MLNetDistill (ML.NET {typeof(MLContext).Assembly.GetName().Version} is not one this version supports: use Microsoft.ML 5.0.x).");
        var ctor = TransformsConstructor
            ?? throw new InvalidOperationException($"ML.NET {typeof(MLContext).Assembly.GetName().Version} has no TransformsCatalog(IHostEnvironment) constructor: use Microsoft.ML 5.0.x.");
        return (TransformsCatalog)ctor.Invoke([env]);
    }

    /// <summary>Logs <paramref name="message"/> as a warning on the catalog's MLContext, and always to <see cref="System.Diagnostics.Trace"/>.</summary>
    public static void Warn(object catalog, string message)
    {
        if (Get(catalog) is { } env && WarningMethod is not null)
        {
            using var channel = env.Start("MLNetDistill");
            WarningMethod.Invoke(null, [channel, message]);
        }

        System.Diagnostics.Trace.TraceWarning(message);
    }
}
