//! Reference data: plans and industries. It ships with the code rather than living in the
//! table: it changes only with a release, every function reads it, and reading it costs
//! no I/O. Ids are stable; objects store them.

use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: &'static str,
    pub name: &'static str,
    pub price_monthly_usd: u32,
    pub max_sites: u32,
    pub max_users: u32,
    pub max_keywords: u32,
    pub max_clusters: u32,
    pub max_ideas: u32,
    pub max_ai_requests_per_month: u32,
    pub max_words_per_month: u32,
    pub max_images_per_month: u32,
    pub monthly_credits: u32,
    /// Credits an account gets when it starts on this plan.
    pub starting_credits: u32,
}

pub const TRIAL_PLAN: &str = "trial";

pub const PLANS: &[Plan] = &[
    Plan {
        id: "trial",
        name: "Trial",
        price_monthly_usd: 0,
        max_sites: 2,
        max_users: 3,
        max_keywords: 1_000,
        max_clusters: 100,
        max_ideas: 200,
        max_ai_requests_per_month: 200,
        max_words_per_month: 50_000,
        max_images_per_month: 50,
        monthly_credits: 0,
        starting_credits: 200,
    },
    Plan {
        id: "starter",
        name: "Starter",
        price_monthly_usd: 49,
        max_sites: 3,
        max_users: 5,
        max_keywords: 10_000,
        max_clusters: 1_000,
        max_ideas: 2_000,
        max_ai_requests_per_month: 2_000,
        max_words_per_month: 500_000,
        max_images_per_month: 500,
        monthly_credits: 1_000,
        starting_credits: 1_000,
    },
    Plan {
        id: "growth",
        name: "Growth",
        price_monthly_usd: 149,
        max_sites: 10,
        max_users: 15,
        max_keywords: 50_000,
        max_clusters: 5_000,
        max_ideas: 10_000,
        max_ai_requests_per_month: 10_000,
        max_words_per_month: 2_000_000,
        max_images_per_month: 2_000,
        monthly_credits: 5_000,
        starting_credits: 5_000,
    },
    Plan {
        id: "scale",
        name: "Scale",
        price_monthly_usd: 399,
        max_sites: 50,
        max_users: 50,
        max_keywords: 250_000,
        max_clusters: 25_000,
        max_ideas: 50_000,
        max_ai_requests_per_month: 50_000,
        max_words_per_month: 10_000_000,
        max_images_per_month: 10_000,
        monthly_credits: 20_000,
        starting_credits: 20_000,
    },
];

impl Plan {
    /// What reaching a limit says, e.g. "The Trial plan allows 2 sites."
    pub fn allows(&self, max: u32, what: &str) -> String {
        format!("The {} plan allows {max} {what}.", self.name)
    }
}

pub fn plan(id: &str) -> Option<&'static Plan> {
    PLANS.iter().find(|p| p.id == id)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IndustrySector {
    pub id: &'static str,
    pub name: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Industry {
    pub id: &'static str,
    pub name: &'static str,
    pub suggested_sectors: &'static [IndustrySector],
}

macro_rules! industry {
    ($id:literal, $name:literal, [$(($sid:literal, $sname:literal)),* $(,)?]) => {
        Industry { id: $id, name: $name, suggested_sectors: &[$(IndustrySector { id: $sid, name: $sname }),*] }
    };
}

pub const INDUSTRIES: &[Industry] = &[
    industry!(
        "technology",
        "Technology",
        [
            ("technology-saas", "SaaS"),
            ("technology-cybersecurity", "Cybersecurity"),
            ("technology-ai", "Artificial Intelligence"),
            ("technology-web-development", "Web Development"),
            ("technology-consumer-electronics", "Consumer Electronics"),
        ]
    ),
    industry!(
        "health",
        "Health & Wellness",
        [
            ("health-fitness", "Fitness"),
            ("health-nutrition", "Nutrition"),
            ("health-mental-health", "Mental Health"),
            ("health-medical-clinics", "Medical Clinics"),
            ("health-supplements", "Supplements"),
        ]
    ),
    industry!(
        "ecommerce",
        "E-commerce & Retail",
        [
            ("ecommerce-fashion", "Fashion"),
            ("ecommerce-home-garden", "Home & Garden"),
            ("ecommerce-beauty", "Beauty"),
            ("ecommerce-electronics", "Electronics"),
            ("ecommerce-pets", "Pet Supplies"),
        ]
    ),
    industry!(
        "finance",
        "Finance",
        [
            ("finance-personal-finance", "Personal Finance"),
            ("finance-investing", "Investing"),
            ("finance-insurance", "Insurance"),
            ("finance-crypto", "Cryptocurrency"),
            ("finance-accounting", "Accounting"),
        ]
    ),
    industry!(
        "travel",
        "Travel & Hospitality",
        [
            ("travel-destinations", "Destinations"),
            ("travel-hotels", "Hotels"),
            ("travel-adventure", "Adventure Travel"),
            ("travel-food-drink", "Food & Drink"),
            ("travel-tips", "Travel Tips"),
        ]
    ),
    industry!(
        "real-estate",
        "Real Estate",
        [
            ("real-estate-residential", "Residential"),
            ("real-estate-commercial", "Commercial"),
            ("real-estate-mortgages", "Mortgages"),
            ("real-estate-property-management", "Property Management"),
            ("real-estate-interior-design", "Interior Design"),
        ]
    ),
    industry!(
        "education",
        "Education",
        [
            ("education-online-courses", "Online Courses"),
            ("education-k12", "K-12"),
            ("education-higher-education", "Higher Education"),
            ("education-language-learning", "Language Learning"),
            ("education-test-prep", "Test Preparation"),
        ]
    ),
    industry!(
        "home-services",
        "Home Services",
        [
            ("home-services-plumbing", "Plumbing"),
            ("home-services-hvac", "HVAC"),
            ("home-services-roofing", "Roofing"),
            ("home-services-cleaning", "Cleaning"),
            ("home-services-landscaping", "Landscaping"),
        ]
    ),
];

pub fn industry(id: &str) -> Option<&'static Industry> {
    INDUSTRIES.iter().find(|i| i.id == id)
}

/// The industry sector with this id and the industry it belongs to.
pub fn industry_sector(id: &str) -> Option<(&'static Industry, &'static IndustrySector)> {
    INDUSTRIES.iter().find_map(|i| i.suggested_sectors.iter().find(|s| s.id == id).map(|s| (i, s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_ids_are_unique_and_the_trial_plan_exists() {
        let mut ids: Vec<&str> = INDUSTRIES.iter().flat_map(|i| i.suggested_sectors.iter().map(|s| s.id)).collect();
        ids.extend(INDUSTRIES.iter().map(|i| i.id));
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count);
        assert!(plan(TRIAL_PLAN).is_some());
        assert_eq!(industry_sector("finance-insurance").unwrap().0.id, "finance");
    }
}
