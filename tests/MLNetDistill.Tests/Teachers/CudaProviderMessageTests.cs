using Microsoft.ML.OnnxRuntime;
using MLNetDistill.Teachers;

namespace MLNetDistill.Tests.Teachers;

/// <summary>
/// The CUDA provider's failure message, over error texts captured on a machine without CUDA (Debian 12, no GPU)
/// with Microsoft.ML.OnnxRuntime(.Gpu) 1.31.0.
/// </summary>
public sealed class CudaProviderMessageTests
{
    // GPU package: the exception AppendExecutionProvider_CUDA(0) throws (OnnxRuntimeException).
    private const string GpuExceptionText = "[ErrorCode:Fail] OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library";

    // GPU package: what ONNX Runtime logs to stderr at the same time (its exception does not carry it).
    private const string GpuLogText = "/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:2043 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /tmp/cudaprobe/bin/Debug/net10.0/runtimes/linux-x64/native/libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared object file: No such file or directory";

    // GPU package: the DllNotFoundException from NativeLibrary.Load of the provider library.
    private const string LoaderText = "Unable to load shared library '/tmp/cudaprobe/bin/Debug/net10.0/runtimes/linux-x64/native/libonnxruntime_providers_cuda.so' or one of its dependencies. In order to help diagnose loading problems, consider using a tool like strace. If you're using glibc, consider setting the LD_DEBUG environment variable: \nlibcublasLt.so.13: cannot open shared object file: No such file or directory\n";

    // CPU package: the EntryPointNotFoundException.
    private const string CpuExceptionText = "Unable to find an entry point named 'OrtSessionOptionsAppendExecutionProvider_CUDA' in shared library 'onnxruntime'.";

    [Theory]
    [InlineData(GpuLogText, "libcublasLt.so.13")]
    [InlineData(LoaderText, "libcublasLt.so.13")]
    [InlineData("/usr/lib/x86_64-linux-gnu/libcudnn.so.9: cannot open shared object file: No such file or directory", "libcudnn.so.9")]
    [InlineData("libcuda.so.1: cannot open shared object file: No such file or directory", "libcuda.so.1")]
    [InlineData(GpuExceptionText, null)]
    [InlineData(CpuExceptionText, null)]
    [InlineData("/x/libonnxruntime_providers_cuda.so: invalid ELF header", null)]
    public void MissingLibrary_ParsesLoaderErrors(string text, string? expected)
    {
        Assert.Equal(expected, CudaProviderMessage.MissingLibrary(text));
    }

    [Fact]
    public void Describe_GpuBuildLibraryMissing_NamesLibraryAndCudaVersions()
    {
        string message = CudaProviderMessage.Describe(0, GpuExceptionText, LoaderText, cudaProviderInBuild: true, ortVersion: "1.31.0");
        Assert.StartsWith("CUDA device 0 cannot be used: ONNX Runtime's CUDA provider could not load libcublasLt.so.13: install CUDA 13 and cuDNN 9 (ORT 1.31's CUDA build)", message, StringComparison.Ordinal);
        Assert.DoesNotContain("OnnxRuntimeFlavor", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_LibraryInOrtText_UsedWithoutLoaderText()
    {
        string message = CudaProviderMessage.Describe(1, GpuLogText, null, cudaProviderInBuild: true, ortVersion: "1.31.0");
        Assert.Contains("CUDA device 1", message, StringComparison.Ordinal);
        Assert.Contains("could not load libcublasLt.so.13", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_DriverMissing_SaysInstallDriver()
    {
        string message = CudaProviderMessage.Describe(0, GpuExceptionText, "libcuda.so.1: cannot open shared object file: No such file or directory", cudaProviderInBuild: true, ortVersion: "1.31.0");
        Assert.Contains("could not load libcuda.so.1: install the NVIDIA driver", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_NoLibraryNamed_KeepsOrtTextAndRequirements()
    {
        string message = CudaProviderMessage.Describe(0, "[ErrorCode:Fail] CUDA failure 100: no CUDA-capable device is detected", null, cudaProviderInBuild: true, ortVersion: "1.31.0");
        Assert.Contains("no CUDA-capable device is detected", message, StringComparison.Ordinal);
        Assert.Contains("CUDA 13 and cuDNN 9", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_OtherOrtVersion_DoesNotClaimPinnedRequirements()
    {
        string message = CudaProviderMessage.Describe(0, GpuExceptionText, LoaderText, cudaProviderInBuild: true, ortVersion: "1.40.0");
        Assert.Contains("ONNX Runtime 1.40.0's CUDA build", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_CpuBuild_SaysGpuBuildIsNeeded()
    {
        string message = CudaProviderMessage.Describe(0, CpuExceptionText, null, cudaProviderInBuild: false, ortVersion: "1.31.0");
        Assert.StartsWith("CUDA device 0 cannot be used: this build uses the CPU-only ONNX Runtime", message, StringComparison.Ordinal);
        Assert.Contains("-p:OnnxRuntimeFlavor=Gpu", message, StringComparison.Ordinal);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_EntryPointNotFound_SaysGpuBuildIsNeeded()
    {
        // What the CPU package throws: it has no CUDA entry point, whatever the machine has.
        string message = CudaProviderMessage.Describe(0, new EntryPointNotFoundException(CpuExceptionText));
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_CudaWithoutFallback_MessageFitsThisBuildsFlavour()
    {
        bool gpuBuild = OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider");
        InvalidOperationException ex;
        try
        {
            using var session = TeacherSession.Create(File.ReadAllBytes(TestPaths.FashionTeacher), 0, fallbackToCpu: false, intraOpThreads: 1, warn: null, modelName: TestPaths.FashionTeacher);
            Assert.True(gpuBuild, "the CPU build cannot have a CUDA session");
            return; // a machine with a working GPU
        }
        catch (InvalidOperationException e)
        {
            ex = e;
        }

        Assert.StartsWith("CUDA device 0 cannot be used", ex.Message, StringComparison.Ordinal);
        Assert.Contains("CUDA 13 and cuDNN 9", ex.Message, StringComparison.Ordinal);
        if (gpuBuild)
        {
            // GPU flavour on a machine without CUDA (here: "could not load libcublasLt.so.13").
            Assert.DoesNotContain("OnnxRuntimeFlavor", ex.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("-p:OnnxRuntimeFlavor=Gpu", ex.Message, StringComparison.Ordinal);
        }
    }
}
