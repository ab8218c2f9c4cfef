package dev.jdiffusion.spark;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The GPU that Spark's resource scheduling gave a task, as the training device of the run that task trains.
 *
 * <p>With {@code spark.executor.resource.gpu.amount}, a discovery script and
 * {@code spark.task.resource.gpu.amount=1}, Spark hands each task the address of one GPU of its executor
 * ({@code TaskContext.resources().get("gpu")}); the discovery script reports CUDA device indices, so the
 * address {@code "3"} is libtorch's {@code gpu:3}. The rules:
 * <ul>
 *   <li>no GPU assigned: the configured device is kept ({@code auto}, {@code cpu} or {@code gpu:N});</li>
 *   <li>one GPU assigned: it replaces {@code auto} and any {@code gpu:N} of the configuration (an index
 *       written for one machine means nothing on another), but an explicit {@code cpu} stays on the CPU;</li>
 *   <li>several GPUs assigned to one task, or an address that is not a device index: an error, since a run
 *       trains on one GPU.</li>
 * </ul>
 * A fractional {@code spark.task.resource.gpu.amount} (tasks sharing a GPU) also yields one address per task.
 */
public final class GpuAssignment {
  /** Spark's resource name for GPUs. */
  public static final String GPU = "gpu";

  private GpuAssignment() {}

  /**
   * The device a task trains on.
   *
   * @param resources the task's resources, as {@code TaskContext.resources()} gives them
   * @param configured the run's {@code training.device}
   * @throws IllegalStateException when the task holds several GPUs or an address that is not an index
   */
  public static String device(Map<String, ResourceInformation> resources, String configured) {
    Optional<Integer> gpu = assignedGpu(resources);
    if (gpu.isEmpty() || configured.equals("cpu")) {
      return configured;
    }
    return "gpu:" + gpu.get();
  }

  /** The device for the task running on this thread; {@code configured} outside a Spark task. */
  public static String currentTaskDevice(String configured) {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return configured;
    }
    return device(scala.jdk.javaapi.CollectionConverters.asJava(task.resources()), configured);
  }

  /**
   * The CUDA index of the one GPU among {@code resources}, or empty when there is none.
   *
   * @throws IllegalStateException when the task holds several GPUs or an address that is not an index
   */
  public static Optional<Integer> assignedGpu(Map<String, ResourceInformation> resources) {
    ResourceInformation info = resources.get(GPU);
    if (info == null || info.addresses().length == 0) {
      return Optional.empty();
    }
    String[] addresses = info.addresses();
    if (addresses.length > 1) {
      throw new IllegalStateException("Spark gave this task the GPUs " + Arrays.toString(addresses)
          + ", but a run trains on one GPU: set spark.task.resource.gpu.amount=1 (or a fraction to share a GPU)");
    }
    String address = addresses[0].strip();
    if (!address.matches("[0-9]{1,4}")) {
      throw new IllegalStateException("Spark gave this task the GPU address '" + addresses[0] + "', which is not a"
          + " CUDA device index; the discovery script must report indices such as \"0\" (spark/scripts/discover-gpus.sh)");
    }
    return Optional.of(Integer.parseInt(address));
  }
}
