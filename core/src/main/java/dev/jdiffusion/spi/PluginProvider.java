package dev.jdiffusion.spi;

import org.apiguardian.api.API;

/**
 * What every plugin declares, whatever its kind. Implementations are found by {@link java.util.ServiceLoader},
 * which instantiates every provider it finds: keep the constructor public, argument-free and cheap.
 *
 * @param <C> the plugin's parameter record
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface PluginProvider<C extends PluginConfig> {

  /**
   * The plugin's id: kebab-case, unique within its kind, and never changed once published. It is the
   * {@code name} a configuration uses. Third parties prefix their vendor ({@code acme-sigmoid}).
   */
  String id();

  /** One line for listings, e.g. {@code "Min-SNR-gamma (Hang et al. 2023)"}. */
  String description();

  /** The record holding the plugin's parameters; annotate its components with {@link Param}. */
  Class<C> configType();
}
