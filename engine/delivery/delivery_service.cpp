#include "engine/delivery/delivery_service.hpp"

namespace hisbridge::delivery {

Result<std::unique_ptr<DeliveryService>, std::string> DeliveryService::create(
    const config::Config& config, Setup setup) {
  std::unique_ptr<DeliveryService> service(new DeliveryService());
  for (const router::Channel& channel : setup.channels) {
    const config::ListenerConfig* source = config.listener(channel.config.source);
    for (std::size_t i = 0; i < channel.destinations.size(); ++i) {
      const auto& destination = channel.destinations[i];
      const std::string queue = store::queue_name(channel.config.name, destination->name());
      auto reader = setup.open_reader();
      if (!reader) {
        return "delivery queue " + queue + ": " + reader.error().message();
      }
      DeliveryWorker::Setup worker{
          queue,
          router::Channel{channel.config, channel.mapping, {}},
          destination,
          source != nullptr ? source->charset : std::string(),
          i < channel.config.destinations.size() ? channel.config.destinations[i].retry
                                                 : config::RetryConfig{},
          std::move(*reader),
          setup.write,
          setup.marks,
          setup.counters ? setup.counters(channel.config.name, destination->name()) : nullptr,
          setup.options};
      service->workers_.push_back(std::make_unique<DeliveryWorker>(std::move(worker)));
      service->by_queue_[queue] = service->workers_.back().get();
    }
  }
  return service;
}

void DeliveryService::start() {
  for (auto& w : workers_) {
    w->start();
  }
}

void DeliveryService::queued(std::span<const store::StatusUpdate> updates) {
  std::map<DeliveryWorker*, std::size_t> woken;
  for (const store::StatusUpdate& u : updates) {
    for (const store::NewDelivery& d : u.deliveries) {
      const auto it = by_queue_.find(d.queue);
      if (it != by_queue_.end()) {
        ++woken[it->second];
      }
    }
  }
  for (const auto& [worker, entries] : woken) {
    worker->notify(entries);
  }
}

void DeliveryService::stop() {
  for (auto& w : workers_) {
    w->stop();
  }
}

}  // namespace hisbridge::delivery
