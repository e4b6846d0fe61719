#include "engine/app/channel_factory.hpp"

#include <algorithm>

#include <filesystem>

#include "adapters/fhir/fhir_destination.hpp"
#include "adapters/file/file_destination.hpp"
#include "adapters/hisdb/his_db_destination.hpp"
#include "adapters/mllp/mllp_config.hpp"
#include "adapters/mllp/mllp_destination.hpp"
#include "adapters/xml130/xml130_destination.hpp"
#include "engine/store/open_store.hpp"

namespace hisbridge::app {
namespace {

using DestinationResult = Result<std::shared_ptr<router::Destination>, std::string>;

router::MappingSource watched(mapping::MappingWatcher& watcher, const std::string& file) {
  if (file.empty()) {
    return {};
  }
  return [&watcher, file] { return watcher.current(file); };
}

DestinationResult make_xml130(const config::DestinationConfig& d,
                              mapping::MappingWatcher& watcher) {
  xml130::Xml130Options options;
  options.create_folder = true;
  auto writer = xml130::Xml130Writer::open(d.folder, options);
  if (!writer) {
    return "folder " + d.folder + ": " + writer.error().message();
  }
  return std::make_shared<xml130::Xml130Destination>(d.name, std::move(*writer),
                                                      watched(watcher, d.mapping));
}

DestinationResult make_his_db(const config::DestinationConfig& d, const config::Config& config,
                              mapping::MappingWatcher& watcher) {
  const std::string& location = d.location.empty() ? config.his_location : d.location;
  auto writer = hisdb::open_his_writer(location);
  if (!writer) {
    return "HIS database " + store::redacted_location(location) + ": " +
           writer.error().message();
  }
  return std::make_shared<hisdb::HisDbDestination>(d.name, std::move(*writer),
                                                    watched(watcher, d.mapping));
}

DestinationResult make_fhir(const config::DestinationConfig& d, mapping::MappingWatcher& watcher) {
  std::optional<fhir::BundleFileWriter> files;
  if (!d.folder.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(d.folder, ec);
    if (ec) {
      return "folder " + d.folder + ": " + ec.message();
    }
    files.emplace(d.folder);
  }
  std::unique_ptr<fhir::FhirClient> client;
  if (!d.url.empty()) {
    fhir::FhirClientOptions options;
    options.base_url = d.url;
    options.request_timeout = d.timeout;
    options.verify_peer = d.verify_tls;
    auto created = fhir::FhirClient::create(std::move(options));
    if (!created) {
      return "FHIR server " + d.url + ": " + created.error().message();
    }
    client = std::move(*created);
  }
  return std::make_shared<fhir::FhirDestination>(d.name, fhir::BundleOptions{}, std::move(files),
                                                  std::move(client), watched(watcher, d.mapping));
}

// A TLS context that cannot be made (a missing certificate file) stops the start, naming it.
DestinationResult make_mllp(const config::DestinationConfig& d) {
  auto options = mllp::destination_options(d);
  if (!options) {
    return options.error();
  }
  return std::make_shared<mllp::MllpDestination>(d.name, *options);
}

DestinationResult make_file(const config::DestinationConfig& d, mapping::MappingWatcher& watcher) {
  std::error_code ec;  // made now, so a folder that cannot be stops the start with its reason
  std::filesystem::create_directories(d.folder, ec);
  if (ec) {
    return "folder " + d.folder + ": " + ec.message();
  }
  const auto content = d.content == "records" ? file::FileContent::records : file::FileContent::raw;
  return std::make_shared<file::FileDestination>(d.name, d.folder, content,
                                                  watched(watcher, d.mapping));
}

DestinationResult make_destination(const config::DestinationConfig& d,
                                   const config::Config& config,
                                   mapping::MappingWatcher& watcher) {
  if (d.type == "fhir") {
    return make_fhir(d, watcher);
  }
  if (d.type == "his-db") {
    return make_his_db(d, config, watcher);
  }
  if (d.type == "xml130") {
    return make_xml130(d, watcher);
  }
  if (d.type == "mllp") {
    return make_mllp(d);
  }
  if (d.type == "file") {
    return make_file(d, watcher);
  }
  return "destination type '" + d.type + "' is not known";
}

std::string describe(const mapping::MappingErrors& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += "\n  " + e.to_string();
  }
  return out;
}

}  // namespace

std::vector<std::string> mapping_files(const config::Config& config) {
  std::vector<std::string> files;
  const auto add = [&](const std::string& f) {
    if (!f.empty() && std::find(files.begin(), files.end(), f) == files.end()) {
      files.push_back(f);
    }
  };
  for (const auto& channel : config.channels) {
    add(channel.mapping);
    for (const auto& d : channel.destinations) {
      add(d.mapping);
    }
  }
  return files;
}

Result<std::vector<router::Channel>, std::string> build_channels(const config::Config& config,
                                                                mapping::MappingWatcher& watcher) {
  for (const std::string& file : mapping_files(config)) {
    if (auto added = watcher.add(file); !added) {
      return "mapping " + file + " is invalid:" + describe(added.error());
    }
  }
  std::vector<router::Channel> channels;
  for (const auto& c : config.channels) {
    router::Channel channel{c, watched(watcher, c.mapping), {}};
    for (const auto& d : c.destinations) {
      auto made = make_destination(d, config, watcher);
      if (!made) {
        return "channel " + c.name + ", destination " + d.name + ": " + made.error();
      }
      channel.destinations.push_back(std::move(*made));
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

}  // namespace hisbridge::app
