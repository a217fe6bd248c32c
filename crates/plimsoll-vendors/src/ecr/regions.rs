//! `ec2:DescribeRegions`, the one EC2 call Organizations mode needs, signed with `aws-sigv4`
//! and sent with reqwest: `aws-sdk-ec2` would add minutes of compile and gigabytes of target
//! for it (docs/performance.md, "AWS SDK cost"). The answer is EC2's query-protocol XML; the
//! region names are the text of its `regionName` elements.

use std::time::SystemTime;

use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;

use crate::{Error, Result};

/// The regions enabled for the account whose `credentials` are given, asked in `region`
/// through `http` (the registry's proxy and CA).
pub(crate) async fn describe_regions(
    http: &reqwest::Client,
    base: &SdkConfig,
    credentials: &SharedCredentialsProvider,
    region: &str,
    account_id: &str,
) -> Result<Vec<String>> {
    let error = |reason: String| Error::Aws {
        target: format!("account {account_id}"),
        action: "ec2:DescribeRegions",
        reason,
    };
    let endpoint = std::env::var("AWS_ENDPOINT_URL_EC2")
        .ok()
        .or_else(|| base.endpoint_url().map(str::to_owned))
        .unwrap_or_else(|| format!("https://ec2.{region}.amazonaws.com"));
    // POSTed as a form, the way the SDKs send EC2's query protocol (a GET with the same query
    // string is refused by emulators for session credentials).
    let url = format!("{}/", endpoint.trim_end_matches('/'));
    let body = b"Action=DescribeRegions&Version=2016-11-15";
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let identity = credentials
        .provide_credentials()
        .await
        .map_err(|e| error(crate::ecr::describe(&e)))?
        .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("ec2")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| error(e.to_string()))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        &url,
        std::iter::once(("content-type", content_type)),
        SignableBody::Bytes(body),
    )
    .map_err(|e| error(e.to_string()))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| error(e.to_string()))?
        .into_parts();
    let mut request = http
        .post(&url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .body(body.as_slice());
    for (name, value) in instructions.headers() {
        let mut value =
            reqwest::header::HeaderValue::from_str(value).map_err(|e| error(e.to_string()))?;
        value.set_sensitive(true);
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|e| error(e.to_string()))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| error(e.to_string()))?;
    if !status.is_success() {
        return Err(error(format!(
            "HTTP {status}: {}",
            xml_text(&body, "Message").join("; ")
        )));
    }
    let mut regions = xml_text(&body, "regionName");
    regions.sort_unstable();
    regions.dedup();
    Ok(regions)
}

/// Whether `region` belongs to the ARN partition `partition` (`aws`, `aws-cn`, `aws-us-gov`).
pub(crate) fn in_partition(region: &str, partition: &str) -> bool {
    match partition {
        "aws-cn" => region.starts_with("cn-"),
        "aws-us-gov" => region.starts_with("us-gov-"),
        _ => !region.starts_with("cn-") && !region.starts_with("us-gov-"),
    }
}

/// The text of every `<element>` of the document, in order.
fn xml_text(document: &str, element: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut inside = false;
    for token in xmlparser::Tokenizer::from(document) {
        match token {
            Ok(xmlparser::Token::ElementStart { local, .. }) => inside = local.as_str() == element,
            Ok(xmlparser::Token::Text { text }) if inside => {
                found.push(text.as_str().trim().to_owned());
                inside = false;
            }
            // `>` of a start tag (`Open`) keeps us inside; `</x>` and `/>` leave.
            Ok(xmlparser::Token::ElementEnd {
                end: xmlparser::ElementEnd::Close(..) | xmlparser::ElementEnd::Empty,
                ..
            }) => inside = false,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_come_from_the_query_protocol_answer() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId>
  <regionInfo>
    <item><regionName>eu-west-1</regionName><regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint></item>
    <item><regionName>us-east-1</regionName><regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint></item>
  </regionInfo>
</DescribeRegionsResponse>"#;
        assert_eq!(xml_text(body, "regionName"), ["eu-west-1", "us-east-1"]);
        assert!(xml_text(body, "Message").is_empty());
    }

    #[test]
    fn regions_are_kept_to_their_partition() {
        assert!(in_partition("eu-west-1", "aws"));
        assert!(!in_partition("cn-north-1", "aws"));
        assert!(!in_partition("us-gov-west-1", "aws"));
        assert!(in_partition("cn-north-1", "aws-cn"));
        assert!(!in_partition("eu-west-1", "aws-cn"));
        assert!(in_partition("us-gov-east-1", "aws-us-gov"));
    }
}
