/**
 * The service-provider interface that plugins implement: schedules, weighters, parameterizations and
 * datasets. Everything here is plain Java (interfaces, records, one annotation); it never depends on
 * Jackson, Guice or a tensor library, so third-party plugins compile against it alone.
 *
 * <p>A plugin is a public class with a public no-argument constructor that implements one of the
 * {@code *Provider} interfaces, listed in {@code META-INF/services/<provider interface name>}. Its
 * parameters are a record implementing the kind's config marker interface; each record component may
 * carry {@link dev.jdiffusion.spi.Param} (description and default) and the record checks its values in
 * its compact constructor with {@link dev.jdiffusion.spi.Require}.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
package dev.jdiffusion.spi;

import org.apiguardian.api.API;
