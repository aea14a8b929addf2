//! End-to-end tests over HTTP. Run with `infra/test.sh` (it starts the emulator).

mod ai_jobs;
mod ai_models;
mod ai_pipeline;
mod ai_worker;
mod api_keys;
mod automation;
mod billing;
mod contract;
mod faults;
mod isolation;
mod lambda_adapter;
mod limits;
mod planner_clusters;
mod planner_csv;
mod planner_ideas;
mod planner_keywords;
mod roles;
mod sessions;
mod system_settings;
mod template;
mod validation;
mod wordpress_publish;
mod writer_content;
mod writer_images;
mod writer_tasks;
mod writer_taxonomies;
