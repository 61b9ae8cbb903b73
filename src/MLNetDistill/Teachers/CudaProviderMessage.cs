using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MLNetDistill.Teachers;

/// <summary>
/// Says why ONNX Runtime's CUDA provider could not be used, naming the shared library that failed to load when it can
/// be found: in ONNX Runtime's error text, else by asking the loader to open the provider library itself (ONNX Runtime
/// 1.31 only logs the missing library to stderr; its exception says "Failed to load shared library").
/// </summary>
internal static partial class CudaProviderMessage
{
    /// <summary>What the pinned ONNX Runtime's CUDA build (Microsoft.ML.OnnxRuntime.Gpu 1.31) needs; update with the pin.</summary>
    internal const string PinnedOrtVersion = "1.31";

    internal const string CudaRequirement = "CUDA 13 and cuDNN 9";

    private const string GpuBuildHint = "dotnet build -p:OnnxRuntimeFlavor=Gpu, which uses Microsoft.ML.OnnxRuntime.Gpu";

    /// <summary>Builds the message for a failed <c>AppendExecutionProvider_CUDA</c> (without the fallback advice).</summary>
    public static string Describe(int device, Exception error)
    {
        bool cudaInBuild = error is not EntryPointNotFoundException && CudaProviderInBuild();
        string? loaderText = null;
        if (cudaInBuild && MissingLibrary(error.Message) is null)
        {
            loaderText = ProbeProviderLibrary();
        }

        return Describe(device, error.Message, loaderText, cudaInBuild, OrtVersion());
    }

    /// <summary>Builds the message from ONNX Runtime's error text and, when there is one, the loader's.</summary>
    /// <param name="device">The CUDA device asked for.</param>
    /// <param name="ortMessage">ONNX Runtime's exception (or log) text.</param>
    /// <param name="loaderText">The loader's error for the CUDA provider library, or null.</param>
    /// <param name="cudaProviderInBuild">Whether the ONNX Runtime in use was built with the CUDA provider (the GPU package).</param>
    /// <param name="ortVersion">ONNX Runtime's version string, or null.</param>
    public static string Describe(int device, string ortMessage, string? loaderText, bool cudaProviderInBuild, string? ortVersion)
    {
        string head = $"CUDA device {device} cannot be used";
        if (!cudaProviderInBuild)
        {
            return $"{head}: this build uses the CPU-only ONNX Runtime (Microsoft.ML.OnnxRuntime), which has no CUDA provider. "
                + $"The GPU needs the GPU build of MLNetDistill ({GpuBuildHint}), an NVIDIA driver, {CudaRequirement}.";
        }

        string build = ortVersion is not null && !ortVersion.StartsWith(PinnedOrtVersion + ".", StringComparison.Ordinal) && ortVersion != PinnedOrtVersion
            ? $"the CUDA and cuDNN versions ONNX Runtime {ortVersion}'s CUDA build was made for (ORT {PinnedOrtVersion}: {CudaRequirement})"
            : $"{CudaRequirement} (ORT {PinnedOrtVersion}'s CUDA build)";
        string? missing = MissingLibrary(ortMessage) ?? (loaderText is null ? null : MissingLibrary(loaderText));
        if (missing is not null)
        {
            string install = missing.StartsWith("libcuda.so", StringComparison.Ordinal) || missing.StartsWith("nvcuda", StringComparison.OrdinalIgnoreCase)
                ? $"install the NVIDIA driver (and {build})"
                : $"install {build} and an NVIDIA driver, with their libraries on the loader's path (ldconfig or LD_LIBRARY_PATH)";
            return $"{head}: ONNX Runtime's CUDA provider could not load {missing}: {install}.";
        }

        return $"{head} ({TeacherSession.FirstLine(ortMessage)}). The GPU needs an NVIDIA driver and {build}.";
    }

    /// <summary>The shared library a loader error says it could not open, or null.</summary>
    public static string? MissingLibrary(string text)
    {
        var match = MissingSharedObject().Match(text);
        return match.Success ? match.Groups["lib"].Value : null;
    }

    // glibc's dlerror: "libcublasLt.so.13: cannot open shared object file: No such file or directory".
    [GeneratedRegex(@"(?<lib>[A-Za-z0-9_+\-]+(?:\.[A-Za-z0-9_+\-]+)*\.so(?:\.[0-9]+)*): cannot open shared object file")]
    private static partial Regex MissingSharedObject();

    private static bool CudaProviderInBuild()
    {
        try
        {
            return OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    private static string? OrtVersion()
    {
        try
        {
            return OrtEnv.Instance().GetVersionString();
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Opens the CUDA provider library where ONNX Runtime looks for it (beside its own native library) and returns the loader's error, or null.</summary>
    private static string? ProbeProviderLibrary()
    {
        string file = OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
        string[] folders =
        [
            AppContext.BaseDirectory,
            Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native"),
        ];
        foreach (string folder in folders)
        {
            string path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                continue;
            }

            try
            {
                NativeLibrary.Free(NativeLibrary.Load(path));
                return null;
            }
            catch (DllNotFoundException e)
            {
                return e.Message;
            }
            catch (BadImageFormatException e)
            {
                return e.Message;
            }
        }

        return null;
    }
}
